/**
 * @module api/files
 * Every file format Strata reads: reflectivity (ORSO `.ort`, NeXus/HDF5, `Q R dR [dQ]`
 * columns), cycler records (BioLogic `.mpr`/`.mpt`, Arbin, Maccor, Neware, BDF CSV) and
 * impedance exports. Q in Å⁻¹, dQ as σ; times in s, potentials in V, currents in A.
 */
export { readReflectivityData, type ReflectivityData } from "../io/reflectivityData.ts";
export { readOrt, parseOrt, writeOrt, type OrtFile, type OrtDataset } from "../io/ort.ts";
export { readNexusReflectivity, closeNexusReader, type NexusReflectivity } from "../io/nexus.ts";
export { readCyclerFile, detectCyclerFormat, CYCLER_FORMATS } from "../io/cycler/index.ts";
export type { CyclerTable } from "../io/cycler/index.ts";
export { readImpedanceFile, detectImpedanceFormat, IMPEDANCE_FORMATS, type ImpedanceSpectrum } from "../io/impedance.ts";
export { readColumnFile } from "../io/columns.ts";
