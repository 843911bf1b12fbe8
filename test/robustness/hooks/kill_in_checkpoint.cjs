// Preloaded (node --require) into a `molab train` child: SIGKILL the process the moment it opens the first file
// inside the temp folder of checkpoint step MOLAB_TEST_KILL_STEP for the second time (the first file is written by
// then), i.e. in the middle of that checkpoint's write.
const fs = require("node:fs");
const fsp = require("node:fs/promises");
const step = String(process.env.MOLAB_TEST_KILL_STEP ?? "").padStart(6, "0");
const hit = (p) => String(p).includes(`step-${step}.tmp-`) && /[\\/][^\\/]+$/.test(String(p).split(".tmp-")[1] ?? "");
let hits = 0;
const die = (p) => {
  if (hit(p) && ++hits === 2) process.kill(process.pid, "SIGKILL");
};
const open = fsp.open;
fsp.open = function (p, ...rest) {
  die(p);
  return open.call(this, p, ...rest);
};
const openSync = fs.openSync;
fs.openSync = function (p, ...rest) {
  die(p);
  return openSync.call(this, p, ...rest);
};
const writeFileSync = fs.writeFileSync;
fs.writeFileSync = function (p, ...rest) {
  if (typeof p === "string") die(p);
  return writeFileSync.call(this, p, ...rest);
};
