// Imported first by the component tests: chalk decides its colour level when
// it is loaded, and the test's stdout is no terminal. Forcing it lets the
// tests see colours, and see that NO_COLOR removes them.
process.env.FORCE_COLOR = '1';
