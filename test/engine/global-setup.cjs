module.exports = require('../global-tmp.cjs').setup('msx-engine-');
