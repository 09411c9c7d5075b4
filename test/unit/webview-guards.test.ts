// The webview protocol's runtime checks: known messages pass, anything else is not acted on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isFromHealth, isFromPitr, isToHealth, isToPitr } from '../../webview/guards';
import { EMPTY_PITR_FORM, type PitrForm } from '../../webview/protocol';

const form: PitrForm = { ...EMPTY_PITR_FORM, baseBackup: '/srv/base/b1', archive: '/srv/wal', targetKind: 'time', targetTime: '2026-11-22 14:30:00', targetZone: 'Europe/Berlin' };

test('Health messages: the protocol\'s shapes pass, others do not', () => {
  assert.equal(isFromHealth({ type: 'ready' }), true);
  assert.equal(isFromHealth({ type: 'selectConnection', name: 'prod' }), true);
  assert.equal(isFromHealth({ type: 'selectConnection' }), false, 'a missing name');
  assert.equal(isFromHealth({ type: 'selectConnection', name: 3 }), false);
  assert.equal(isFromHealth({ type: 'dropDatabase', name: 'prod' }), false, 'an unknown type');
  assert.equal(isFromHealth({ type: 'constructor' }), false, 'a name from Object.prototype');
  assert.equal(isFromHealth('refresh'), false);
  assert.equal(isFromHealth(null), false);
  assert.equal(isToHealth({ type: 'connections', names: ['a'], pollSeconds: 30 }), true);
  assert.equal(isToHealth({ type: 'connections', names: 'a', pollSeconds: 30 }), false);
  assert.equal(isToHealth({ type: 'error', connection: 'a' }), false);
});

test('PITR messages: a form must be whole, a step and a browse field must be known words', () => {
  assert.equal(isFromPitr({ type: 'validate', step: 'target', form }), true);
  assert.equal(isFromPitr({ type: 'validate', step: 'elsewhere', form }), false);
  assert.equal(isFromPitr({ type: 'apply', form: { ...form, targetKind: 'evil' } }), false);
  assert.equal(isFromPitr({ type: 'apply', form: { ...form, dataDir: ['/'] } }), false);
  const partial: Partial<PitrForm> = { ...form };
  delete partial.archiving;
  assert.equal(isFromPitr({ type: 'drill', form: partial }), false);
  assert.equal(isFromPitr({ type: 'browse', field: 'dataDir' }), true);
  assert.equal(isFromPitr({ type: 'browse', field: 'passwordFile' }), false);
  assert.equal(isToPitr({ type: 'validation', step: 'backup', ok: true, message: '✓', details: [] }), true);
  assert.equal(isToPitr({ type: 'preview', settings: [], changes: [], warnings: [] }), true);
  assert.equal(isToPitr({ type: 'preview', settings: 'x', changes: [], warnings: [] }), false);
});
