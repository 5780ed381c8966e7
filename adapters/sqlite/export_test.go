package sqlite

// HitKey exposes hitKey to the external tests, which build colliding accounts.
var HitKey = hitKey
