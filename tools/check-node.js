#!/usr/bin/env node
// Refuses to run the project on any Node but the pinned 24 LTS, with a message
// that says how to get it. Written in plain ES5-ish JS so any old Node can run it.
'use strict';
var fs = require('fs');
var path = require('path');
var wanted = fs.readFileSync(path.join(__dirname, '..', '.nvmrc'), 'utf8').trim();
var have = process.versions.node;
var major = function (v) { return Number(String(v).split('.')[0]); };
if (major(have) !== major(wanted)) {
  process.stderr.write(
    'ci-connector needs Node ' + wanted + ' (Node ' + major(wanted) + ' LTS); this is Node ' + have + '.\n' +
    'Run `source scripts/node-env.sh` first: it fetches the pinned Node from the npm registry into .tools/ and puts it on PATH.\n'
  );
  process.exit(1);
}
