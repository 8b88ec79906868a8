/**
 * Method patching: the replacement runs, the exact original comes back (own or inherited), a
 * rerun never stacks patches, and a superseded handle cannot undo a newer patch. Then the runtime
 * fix on the installed ws 0.8.0: built from 0.8.0's own endPacket with one line changed, equal to
 * 0.8.1's, refused where the line is absent, and restored.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { patchMethod, restoreAllPatches } from '../../src/observe/patch';
import {
  applyRuntimeFix,
  BAD_LINE,
  endPacketSource,
  FIXED_LINE,
  fixedSource,
  receiverPrototype,
} from '../../src/bare-ws/fix';
import { wsRelease } from '../../src/bare-ws/versions';

class Base {
  greet(): string {
    return 'base';
  }
}
class Child extends Base {
  own(): string {
    return 'own';
  }
}

test('an own method: replaced, then the same function object restored; restoring twice is harmless', () => {
  const original = Child.prototype.own;
  const patch = patchMethod(
    Child.prototype,
    'own',
    (orig) =>
      function (this: unknown) {
        return `patched ${String(orig.call(this))}`;
      },
  );
  assert.equal(new Child().own(), 'patched own');
  assert.equal(patch.original, original);
  patch.restore();
  patch.restore();
  assert.equal(Child.prototype.own, original);
  assert.equal(new Child().own(), 'own');
});

test('an inherited method: the own property is removed again on restore', () => {
  const patch = patchMethod(Child.prototype, 'greet', () => () => 'child patch');
  assert.equal(new Child().greet(), 'child patch');
  assert.equal(new Base().greet(), 'base');
  patch.restore();
  assert.equal(Object.getOwnPropertyDescriptor(Child.prototype, 'greet'), undefined);
  assert.equal(new Child().greet(), 'base');
});

test('patching twice (a rerun) builds from the true original, and the old handle no longer restores', () => {
  const original = Child.prototype.own;
  const first = patchMethod(Child.prototype, 'own', (orig) => () => `one(${String(orig())})`);
  const second = patchMethod(Child.prototype, 'own', (orig) => () => `two(${String(orig())})`);
  assert.equal(second.original, original);
  assert.equal(new Child().own(), 'two(own)');
  first.restore();
  assert.equal(new Child().own(), 'two(own)', 'a superseded handle must not undo the newer patch');
  second.restore();
  assert.equal(Child.prototype.own, original);
});

test('restoreAllPatches puts everything back; bad targets get one-line errors', () => {
  const original = Child.prototype.own;
  patchMethod(Child.prototype, 'own', () => () => 'x');
  restoreAllPatches();
  assert.equal(Child.prototype.own, original);
  assert.throws(() => patchMethod(Child.prototype, 'missing', () => () => 1), /is not a function/);
  const getter = {};
  Object.defineProperty(getter, 'm', { get: () => () => 1, configurable: true });
  assert.throws(() => patchMethod(getter, 'm', () => () => 1), /accessor/);
});

test("the runtime fix is 0.8.0's endPacket with one line changed, equal to 0.8.1's, and comes off again", () => {
  const bad = wsRelease('0.8.0');
  const good = wsRelease('0.8.1');
  const proto = receiverPrototype(bad);
  const original = proto.endPacket;
  assert.ok(endPacketSource(bad).includes(BAD_LINE));
  assert.ok(endPacketSource(good).includes(FIXED_LINE));
  assert.equal(fixedSource(endPacketSource(bad)), endPacketSource(good));
  assert.throws(() => fixedSource(endPacketSource(good)), /found it 0 times/);
  const fix = applyRuntimeFix(bad);
  try {
    assert.notEqual(proto.endPacket, original);
    assert.equal(proto.endPacket.toString(), endPacketSource(good));
    assert.equal(fix.before, original.toString());
  } finally {
    fix.restore();
  }
  assert.equal(proto.endPacket, original);
  assert.throws(() => applyRuntimeFix(good), /found it 0 times/);
  assert.equal(receiverPrototype(good).endPacket.toString(), endPacketSource(good));
});
