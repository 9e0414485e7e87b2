/**
 * The deposit proof-of-work cost behind DEFAULT_DEPOSIT_POW_BITS (docs/LIMITS.md, "Deposit
 * proofs"): SHA-256 attempts per CPU second through the CryptoProvider on the PoW input (95 bytes),
 * and the CPU time of solveDepositPow at the default difficulty. CPU time (process.cpuUsage), not
 * wall time, so other processes on a shared machine do not skew it.
 */
import { createNodeCryptoProvider } from '../../src/crypto/node-provider.ts';
import { solveDepositPow } from '../../src/identity/deposit-proof.ts';
import { DEFAULT_DEPOSIT_POW_BITS } from '../../src/node/deposit-gate.ts';
import type { BenchRow, BenchSuite } from '../report.ts';

/** How much slower than this machine a phone is assumed to be. */
const PHONE_SLOWDOWN = 4;

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

export const suite: BenchSuite = {
  name: 'deposit-pow',
  description: 'deposit proof of work: SHA-256 rate through the provider and solve time at the default difficulty',
  async run(): Promise<readonly BenchRow[]> {
    const crypto = createNodeCryptoProvider();
    const input = new Uint8Array(95);
    const rates: number[] = [];
    for (let round = 0; round < 10; round++) {
      const n = 300_000;
      const start = process.cpuUsage();
      for (let i = 0; i < n; i++) {
        input[94] = i & 0xff;
        input[93] = (i >>> 8) & 0xff;
        crypto.hash('sha256', input);
      }
      rates.push(n / cpuSeconds(start));
    }
    rates.sort((a, b) => a - b);
    const rate = rates[Math.floor(rates.length / 2)] ?? Number.NaN;

    const account = crypto.generateKey('ed25519').publicKey;
    const solves = 30;
    const start = process.cpuUsage();
    for (let i = 0; i < solves; i++) await solveDepositPow(crypto, account, crypto.randomBytes(1_000), DEFAULT_DEPOSIT_POW_BITS);
    const solveMs = (cpuSeconds(start) * 1000) / solves;
    const expectedMs = (2 ** DEFAULT_DEPOSIT_POW_BITS / rate) * 1000;
    return [
      { metric: 'sha256 attempts per CPU second (median of 10)', value: Math.round(rate), unit: '1/s' },
      { metric: `solve at ${DEFAULT_DEPOSIT_POW_BITS} bits, CPU per proof (mean of ${solves})`, value: Math.round(solveMs), unit: 'ms' },
      { metric: `expected solve at ${DEFAULT_DEPOSIT_POW_BITS} bits on a phone ${PHONE_SLOWDOWN}x slower`, value: Math.round(expectedMs * PHONE_SLOWDOWN), unit: 'ms' },
    ];
  },
};
