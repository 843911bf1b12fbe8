// Types of index.cjs: the declarations `npm run build:types` generates from lib/index.ts into types/
// (`npm ci`/`npm install` run it through `prepare`, `npm test` through `pretest`).
export * from "./types/index.js";
