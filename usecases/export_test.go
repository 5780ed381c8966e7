package usecases

// RefusalWindow is refusalWindow, for the black-box tests of the refusal memory.
const RefusalWindow = refusalWindow
