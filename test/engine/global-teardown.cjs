module.exports = require('../global-tmp.cjs').teardown;
