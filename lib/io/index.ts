/** File formats: safetensors, npy/npz, JSONL, and atomic writes. */
export * from "./atomic.ts";
export * from "./safetensors.ts";
export { ST_ITEMSIZE, type StDtype, type StTensorInfo } from "./safetensors_header.ts";
export * from "./safetensors_write.ts";
export * from "./npy.ts";
export * from "./jsonl.ts";
export * from "./json.ts";
export * from "./half.ts";
