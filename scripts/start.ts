/**
 * `npm start`. Today: shows the CLI and what works. When the network issue lands this becomes
 * `samizdat devnet up`, bringing up authorities, a dozen nodes and a client on this machine.
 */
import { main } from '../src/cli/main.ts';

const code = await main(['--help']);
console.log(
  [
    'What works now: accounts (create, restore from the recovery phrase, show), e.g.',
    '  npx samizdat account create --profile /tmp/alice',
    '',
    'Coming next, in this order: `samizdat devnet up` (a complete local network of directory',
    'authorities and service nodes, which `npm start` will run), onion routing of every request,',
    'end-to-end messaging (`contact`, `send`, `watch`, `inbox`), message requests and blocking,',
    'and a web UI.',
  ].join('\n'),
);
process.exitCode = code;
