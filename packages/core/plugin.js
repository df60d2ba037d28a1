module.exports = require('./dist/plugin');
