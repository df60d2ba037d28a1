module.exports = require('./dist/internal');
