package domain

// IndexSpaceForTest exposes indexSpace to the external tests.
var IndexSpaceForTest = indexSpace

// FoldedASCIIForTest exposes foldedASCII to the external tests.
var FoldedASCIIForTest = foldedASCII
