#!/usr/bin/env node
'use strict';
require('../dist/index.js')
  .cliMain(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
