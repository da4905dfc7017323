/**
 * @module test/kernels/abelesWorker
 * Worker-thread entry for abelesWasm.test.ts: computes one curve with the kernel forced to
 * wasm in this thread and posts it back with the kernel state. Units: as kernels/reflectivity/abeles.
 */
import { parentPort, workerData } from "node:worker_threads";
import { reflectivity, reflectivityKernel, setReflectivityKernel } from "../../src/kernels/reflectivity/abeles.ts";

const { q, slabs } = workerData as { q: Float64Array; slabs: Float64Array };
setReflectivityKernel("wasm");
parentPort!.postMessage({ r: reflectivity(q, slabs), kernel: reflectivityKernel() });
