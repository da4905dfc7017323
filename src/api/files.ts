/**
 * @module api/files
 * Every file format Strata reads: reflectivity (ORSO `.ort`, NeXus/HDF5, `Q R dR [dQ]`
 * columns), cycler records (BioLogic `.mpr`/`.mpt`, Arbin, Maccor, Neware, BDF CSV) and
 * impedance exports, and the time windows of event-sliced runs. Q in Å⁻¹, dQ as σ (a column
 * file's dQ measure declared by its header or `dqMeasure`); times in s, potentials in V, currents in A.
 */
export { readReflectivityData, parseReflectivityColumns, DQ_MEASURES, type ReflectivityData, type ReadReflectivityOptions, type ReflectivityMetadata, type DqMeasure, type SnsAngle } from "../io/reflectivityData.ts";
export { readTimeSlices, parseTimeSlices, type TimeSlices, type TimeSlice, type SliceInterval, type ReadTimeSlicesOptions } from "../io/timeSlices.ts";
export { readOrt, parseOrt, writeOrt, type OrtFile, type OrtDataset } from "../io/ort.ts";
export { readNexusReflectivity, closeNexusReader, type NexusReflectivity } from "../io/nexus.ts";
export { readCyclerFile, detectCyclerFormat, CYCLER_FORMATS } from "../io/cycler/index.ts";
export type { CyclerTable } from "../io/cycler/index.ts";
export { readImpedanceFile, parseImpedanceMpr, detectImpedanceFormat, IMPEDANCE_FORMATS, type ImpedanceSpectrum } from "../io/impedance.ts";
export { readColumnFile } from "../io/columns.ts";
