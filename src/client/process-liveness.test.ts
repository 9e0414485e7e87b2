import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { eventually } from '../../test/support/eventually.ts';
import { createProcessLiveness, type ProcessMark } from './process-liveness.ts';

describe('process liveness', () => {
  const liveness = createProcessLiveness();

  it('this process is alive; a mark with its pid but another start is not', () => {
    assert.equal(liveness.self.pid, process.pid);
    assert.equal(liveness.isAlive(liveness.self), true);
    if (liveness.self.started !== '') {
      assert.equal(liveness.isAlive({ ...liveness.self, started: `${liveness.self.started}0` }), false);
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
      if (mark.started !== '') assert.equal(liveness.isAlive({ ...mark, started: `${mark.started}0` }), false, 'same pid, another process');
      child.kill('SIGKILL');
      await once(child, 'exit');
      assert.equal(liveness.isAlive(mark), false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('nonsense marks are not alive', () => {
    for (const pid of [0, -1, 1.5, Number.NaN]) assert.equal(liveness.isAlive({ pid, started: '', namespace: '' }), false);
  });

  it('a process that exited but was not reaped (a zombie) has ended', { skip: process.platform !== 'linux' && 'needs /proc' }, async () => {
    // sh starts a short child, then becomes a sleep that never waits for it. The child outlives
    // the exec by a moment: one that exits while sh is still sh may be reaped by it (and gone).
    const child = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const pid = Number(line);
      await eventually(() => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') === true, 5_000, 'the zombie');
      assert.equal(liveness.isAlive({ pid, started: '', namespace: '' }), false);
      assert.equal(liveness.isAlive({ pid: child.pid ?? 0, started: '', namespace: liveness.self.namespace }), true, 'its parent runs');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a mark from another PID namespace cannot be checked, so it counts as alive', { skip: liveness.self.namespace === '' && 'no PID namespace here' }, () => {
    assert.match(liveness.self.namespace, /^pid:\[\d+\]$/);
    const dead = { pid: 2 ** 22 + 1, started: 'x', namespace: liveness.self.namespace };
    assert.equal(liveness.isAlive(dead), false, 'beyond pid_max: no such process here');
    assert.equal(liveness.isAlive({ ...dead, namespace: 'pid:[1]' }), true);
    assert.equal(liveness.isAlive({ ...dead, namespace: '' }), false, 'a mark without a namespace is checked here');
  });
});
