// Runs the longest test groups first (their estimate from test-groups.cjs's manifest), so that on
// two workers the run does not end with one long group on one worker while the other sits idle.
// Jest's own order needs durations from an earlier run on the same machine, which a clean CI clone
// never has (it falls back to file sizes, and a group file's size says nothing of its length).
'use strict';
const Sequencer = require('@jest/test-sequencer').default;
const { estimatedSeconds } = require('./test-groups.cjs');

class GroupSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => estimatedSeconds(b.path) - estimatedSeconds(a.path) || (a.path < b.path ? -1 : 1));
  }
}

module.exports = GroupSequencer;
