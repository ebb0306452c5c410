// Imported first by the render benchmark: React picks its development or
// production build when it is first loaded. The UI users run is bundled
// with NODE_ENV=production (scripts/build.ts), so that is what is measured.
process.env.NODE_ENV = 'production';
