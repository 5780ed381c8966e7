package nearcache

// AppendQueryKeyForTest exposes appendQueryKey to the external tests.
var AppendQueryKeyForTest = appendQueryKey
