// pgBackRest's config as sections of lines: what is not touched comes back byte for byte, comments included, and keys are added where pgBackRest reads them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendToSection, findSection, formatIni, iniKeyValue, parseIni, putSection, sectionValues } from '../../src/core/backrest/ini';

const CONF = '# top\n[global]\nrepo1-path = /var/lib/pgbackrest\n#compress-type=zst\n\n# the main cluster\n[main]\npg1-path=/srv/pg\n\n[main:archive-push]\nprocess-max=4\n# last words\n';

test('parsed and formatted again, a file is the same bytes: comments, blank lines, spaces, CRLF and a missing final newline', () => {
  for (const text of [CONF, CONF.replace(/\n/g, '\r\n'), CONF.trimEnd(), '', '\n', '# only a comment', 'key=before any section\n[s]\n']) {
    assert.equal(formatIni(parseIni(text)), text);
  }
});

test('keys and values are trimmed as pgBackRest reads them; comments, headers and blank lines are no keys', () => {
  assert.deepEqual(iniKeyValue('  repo1-path =  /srv/repo  '), { key: 'repo1-path', value: '/srv/repo' });
  assert.deepEqual(iniKeyValue('archive-push-queue-max=1GiB\r'), { key: 'archive-push-queue-max', value: '1GiB' });
  for (const line of ['# repo1-path=/x', '[global]', '', '   ']) assert.equal(iniKeyValue(line), undefined);
  const doc = parseIni(CONF);
  assert.deepEqual([...sectionValues(findSection(doc, 'global')!)], [['repo1-path', '/var/lib/pgbackrest']]);
  assert.deepEqual(doc.sections.map((s) => s.name), [undefined, 'global', 'main', 'main:archive-push']);
});

test('the comments just above a header belong to that section: replacing the section above keeps them, and the comments that close it', () => {
  const doc = parseIni(CONF);
  putSection(doc, 'global', ['[global]', 'repo1-path=/new']);
  assert.equal(formatIni(doc), '# top\n[global]\nrepo1-path=/new\n#compress-type=zst\n\n# the main cluster\n[main]\npg1-path=/srv/pg\n\n[main:archive-push]\nprocess-max=4\n# last words\n');
  assert.deepEqual(findSection(parseIni(CONF), 'main')?.lead, ['# the main cluster']);
});

test('keys go after the last key of a section, before the comments that end it; new lines get the file\'s CRLF', () => {
  const doc = parseIni(CONF.replace(/\n/g, '\r\n'));
  appendToSection(doc, findSection(doc, 'main:archive-push')!, ['archive-async=y']);
  appendToSection(doc, findSection(doc, 'global')!, ['start-fast=y']);
  assert.equal(
    formatIni(doc),
    '# top\n[global]\nrepo1-path = /var/lib/pgbackrest\nstart-fast=y\n#compress-type=zst\n\n# the main cluster\n[main]\npg1-path=/srv/pg\n\n[main:archive-push]\nprocess-max=4\narchive-async=y\n# last words\n'.replace(/\n/g, '\r\n'),
  );
});

test('a new section goes after the others with a blank line, or first, after the lines before any header', () => {
  const doc = parseIni('[main]\npg1-path=/srv/pg');
  putSection(doc, 'other', ['[other]', 'pg1-path=/srv/other']);
  assert.equal(formatIni(doc), '[main]\npg1-path=/srv/pg\n\n[other]\npg1-path=/srv/other\n');
  const first = parseIni('# top\n[main]\npg1-path=/srv/pg\n');
  putSection(first, 'global', ['[global]', 'start-fast=y'], { first: true });
  assert.equal(formatIni(first), '[global]\nstart-fast=y\n\n# top\n[main]\npg1-path=/srv/pg\n');
});
