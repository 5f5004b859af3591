// Figures as SVG (own small builders) rendered to PNG with resvg.
export * from './svg.js';
export * from './scale.js';
export * from './palette.js';
export * from './axes.js';
export * from './line-plot.js';
export * from './histogram.js';
export * from './bar-chart.js';
export * from './table.js';
export * from './image-grid.js';
export * from './render.js';
export * from './grouped-bars.js';
