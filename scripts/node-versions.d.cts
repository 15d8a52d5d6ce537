/** Path of the node binary for `major`, installing it first if need be; undefined off linux x64. */
export declare function nodeBinary(major: string | number): string | undefined
