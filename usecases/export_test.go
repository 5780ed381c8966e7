package usecases

// RefusalWindow is refusalWindow, for the black-box tests of the refusal memory.
const RefusalWindow = refusalWindow

// ProactiveRetryWindow and MaxProactiveRetryWindow bound how long a failed proactive
// refresh is not tried again, for the black-box tests.
const (
	ProactiveRetryWindow    = proactiveRetryWindow
	MaxProactiveRetryWindow = maxProactiveRetryWindow
)
