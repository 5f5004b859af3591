// Colour-blind-safe categorical colours (Okabe-Ito), in series order.
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

export const seriesColor = (i: number) => PALETTE[i % PALETTE.length];
