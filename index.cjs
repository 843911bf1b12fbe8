// CommonJS entry to molab's TypeScript API (registers tsx, then loads lib/index.ts).
// Notebooks use it as `import * as molab from "../index.cjs"`: the tslab kernel compiles cells with
// its own TypeScript settings (rootDir = the notebook's folder), so it cannot compile lib/ itself;
// it reads the types from index.d.cts, which re-exports the declarations generated into types/
// (`npm run build:types`; `npm ci` runs it through `prepare`).
require("tsx/cjs/api").register();
module.exports = require("./lib/index.ts");
