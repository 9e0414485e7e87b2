import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { createProcessLiveness, type ProcessMark } from './process-liveness.ts';

describe('process liveness', () => {
  const liveness = createProcessLiveness();

  it('this process is alive; a mark with its pid but another start is not', () => {
    assert.equal(liveness.self.pid, process.pid);
    assert.equal(liveness.isAlive(liveness.self), true);
    if (liveness.self.started !== '') {
      assert.equal(liveness.isAlive({ pid: process.pid, started: `${liveness.self.started}0` }), false);
    }
  });

  it('a running child is alive, and not once it has exited; a reused pid with another start is not', async () => {
    // The child prints its own mark, made by the same module, and waits.
    const moduleUrl = new URL('./process-liveness.ts', import.meta.url).href;
    const script = `import { createProcessLiveness } from ${JSON.stringify(moduleUrl)};
console.log(JSON.stringify(createProcessLiveness().self)); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const mark = JSON.parse(line) as ProcessMark;
      assert.equal(mark.pid, child.pid);
      assert.equal(mark.started === '', liveness.self.started === '', 'both marks come from the same source');
      assert.equal(liveness.isAlive(mark), true);
      if (mark.started !== '') assert.equal(liveness.isAlive({ pid: mark.pid, started: `${mark.started}0` }), false, 'same pid, another process');
      child.kill('SIGKILL');
      await once(child, 'exit');
      assert.equal(liveness.isAlive(mark), false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('nonsense marks are not alive', () => {
    for (const pid of [0, -1, 1.5, Number.NaN]) assert.equal(liveness.isAlive({ pid, started: '' }), false);
  });
});
