import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  eventHubOptionsFromHostJson,
  findHostJson,
  maxConcurrentActivitiesFromHostJson,
} from '../../../shared/runtime/local/host-json.js';

// The local host reads the same host.json the Azure host does, for the settings it emulates.

const dir = mkdtempSync(join(tmpdir(), 'nhsflows-hostjson-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, json: unknown): string => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(json));
  return file;
};

describe('host.json for the local host', () => {
  test("the project's host.json: the activity limit and the Event Hubs batch the Azure host applies", () => {
    const file = findHostJson();
    assert.ok(file);
    const declared = JSON.parse(readFileSync(file, 'utf8')) as {
      extensions: {
        durableTask: { maxConcurrentActivityFunctions: number };
        eventHubs: { maxEventBatchSize: number };
      };
    };
    assert.equal(
      maxConcurrentActivitiesFromHostJson(file),
      declared.extensions.durableTask.maxConcurrentActivityFunctions,
    );
    assert.equal(
      eventHubOptionsFromHostJson(file).maxEventBatchSize,
      declared.extensions.eventHubs.maxEventBatchSize,
    );
  });

  test('a host.json that does not set the activity limit leaves the runtime’s own', () => {
    assert.equal(maxConcurrentActivitiesFromHostJson(write('bare.json', { version: '2.0' })), undefined);
    assert.equal(
      maxConcurrentActivitiesFromHostJson(
        write('other.json', { extensions: { durableTask: { hubName: 'x' } } }),
      ),
      undefined,
    );
  });

  test('a limit that is not a positive whole number is refused with the file and the path named', () => {
    const file = write('bad.json', { extensions: { durableTask: { maxConcurrentActivityFunctions: 0 } } });
    assert.throws(
      () => maxConcurrentActivitiesFromHostJson(file),
      new RegExp(`bad\\.json: extensions\\.durableTask\\.maxConcurrentActivityFunctions`),
    );
  });
});
