import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeadlineTimer } from './deadline-timer.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('DeadlineTimer', () => {
  it('runs each deadline once, at or after its time, in any order of adding, and never a removed one', async () => {
    const timer = new DeadlineTimer();
    const start = performance.now();
    const ran: [string, number][] = [];
    const at = (name: string) => () => ran.push([name, performance.now() - start]);
    timer.add(80, at('80'));
    timer.add(20, at('20')); // earlier than the timer waits for: it is set again
    const removed = timer.add(40, at('removed'));
    timer.add(50, at('50'));
    timer.add(50, at('50 again'));
    assert.equal(timer.remove(removed), true);
    assert.equal(timer.remove(removed), false);
    await sleep(150);
    assert.deepEqual(
      ran.map(([name]) => name),
      ['20', '50', '50 again', '80'],
    );
    for (const [name, ms] of ran) assert.ok(ms >= Number(name.split(' ')[0]) - 1, `${name} ran after ${ms} ms`);
    assert.equal(timer.size, 0);
  });

  it('keeps working when a deadline adds another as it runs, and clear() drops everything', async () => {
    const timer = new DeadlineTimer();
    const ran: string[] = [];
    timer.add(10, () => {
      ran.push('first');
      timer.add(10, () => ran.push('added by first'));
    });
    timer.add(30, () => ran.push('third'));
    await sleep(60);
    assert.deepEqual(ran, ['first', 'added by first', 'third']);
    timer.add(10, () => ran.push('cleared'));
    timer.clear();
    await sleep(30);
    assert.deepEqual(ran, ['first', 'added by first', 'third']);
  });

  it('does not hold the process up once nothing is pending', () => {
    const timer = new DeadlineTimer();
    const first = timer.add(60_000, () => assert.fail('a removed deadline ran'));
    const second = timer.add(30_000, () => assert.fail('a removed deadline ran'));
    assert.equal(timer.holdsProcess, true);
    timer.remove(first);
    assert.equal(timer.holdsProcess, true);
    timer.remove(second);
    assert.equal(timer.holdsProcess, false);
    timer.add(90_000, () => assert.fail('a cleared deadline ran'));
    assert.equal(timer.holdsProcess, true);
    timer.clear();
    assert.equal(timer.holdsProcess, false);
  });
});
