/** Script-tag entry: the UMD wrapper assigns these exports to the global `Holdfast`. */
export * from './index';
