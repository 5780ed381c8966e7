package domain

// IndexSpaceForTest exposes indexSpace to the external tests.
var IndexSpaceForTest = indexSpace
