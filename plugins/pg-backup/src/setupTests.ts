import '@testing-library/jest-dom';

// Jest's 5 s default is short for a component test that clicks through a page with userEvent on
// a loaded two-core CI machine (the fleet page's filter test timed out there once); a test that
// really hangs still fails, after 30 s.
jest.setTimeout(30_000);
