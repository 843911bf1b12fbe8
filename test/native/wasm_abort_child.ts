/**
 * Run by wasm_path.test.ts with MOLAB_NATIVE=0: an op whose output cannot fit the wasm heap aborts the module;
 * prints what explainWasmAbort makes of the error, as JSON.
 */
import { explainWasmAbort, initBackend, tf } from "../../lib/backend.ts";

(async () => {
  const info = await initBackend();
  try {
    tf.tidy(() => tf.tile(tf.ones([1]), [1073733632]).dataSync()); // 4 GB of float32, past the wasm heap's limit
    console.log(JSON.stringify({ backend: info.backend, thrown: null }));
  } catch (e) {
    const x = explainWasmAbort(e, "tile", "Do less.") as Error;
    console.log(
      JSON.stringify({
        backend: info.backend,
        thrown: (e as Error).constructor.name,
        name: x.name,
        message: x.message,
      }),
    );
  }
})();
