#!/usr/bin/env node
// Entry point of the `molab` command: runs lib/cli.ts through tsx (no build step).
//
// The exit code goes into process.exitCode and the process exits only once stdout and stderr have handed
// everything to the OS: process.exit() right after a large write cuts output into a pipe at the pipe's
// buffer (64 KiB). Exiting explicitly (rather than waiting for the event loop to empty) keeps an idle
// keep-alive socket or timer from holding the command open.
require("tsx/cjs/api").register();

function finish(code) {
  process.exitCode = code;
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit();
  };
  process.stdout.write("", done);
  process.stderr.write("", done);
}

// The reader went away (`molab … | head`): nothing more can be written; stop quietly.
process.stdout.on("error", (e) => {
  if (e && e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw e;
});

require("../lib/cli.ts")
  .main(process.argv.slice(2))
  .then(
    (code) => finish(code ?? 0),
    (err) => {
      console.error(`molab: ${err && err.message ? err.message : err}`);
      if (process.env.MOLAB_DEBUG) console.error(err);
      finish(1);
    },
  );
