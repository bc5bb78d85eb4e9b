'use strict';

const assert = require('assert');
const pad = require('tiny-pad');

assert.strictEqual(pad('7', 3, '0'), '007');
assert.strictEqual(pad('long', 2), 'long');
console.log('pad-report: ok');
