import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EventHandler, RtcEventTarget } from '../../src/common/events.js';

class Thing extends RtcEventTarget<{ ping: Event }> {
  get onping(): EventHandler<Event> {
    return this.getHandler('ping');
  }
  set onping(h: EventHandler<Event>) {
    this.setHandler('ping', h);
  }
  fire(): void {
    this.emit(new Event('ping') as Event & { type: 'ping' });
  }
}

describe('RtcEventTarget', () => {
  it('keeps the handler attribute in its registration position when replaced', () => {
    const t = new Thing();
    const order: string[] = [];
    t.onping = () => order.push('h1');
    t.addEventListener('ping', () => order.push('listener'));
    t.onping = () => order.push('h2');
    t.fire();
    assert.deepEqual(order, ['h2', 'listener']);
    t.onping = null;
    assert.equal(t.onping, null);
    t.fire();
    assert.deepEqual(order, ['h2', 'listener', 'listener']);
  });

  it('supports the aiortc on()/off()/once() habit as plain listeners', () => {
    const t = new Thing();
    let n = 0;
    const fn = () => n++;
    t.on('ping', fn);
    t.once('ping', () => n++);
    t.fire();
    t.fire();
    t.off('ping', fn);
    t.fire();
    assert.equal(n, 3);
  });
});
