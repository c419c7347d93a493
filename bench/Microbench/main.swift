import Foundation
import KeywardCore
import KeywardProviders
import KeywardResolver

// The in-process cost of a cache hit: SecretCache.value for a key that is present and fresh.
let cache = SecretCache()
let key = SecretCache.Key(store: StoreID(1), storeRevision: 1, name: "bench/db", version: nil)
_ = try cache.value(key) { SecretMaterial(value: #"{"password":"x"}"#, versionID: "1") }
let iterations = 2_000_000
var sink = 0
for _ in 0..<100_000 { sink &+= try cache.value(key) { fatalError("miss") }.0.value.utf8.count }
let start = DispatchTime.now().uptimeNanoseconds
for _ in 0..<iterations { sink &+= try cache.value(key) { fatalError("miss") }.0.value.utf8.count }
let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(iterations)
print(String(format: "%.0f ns per hit", elapsed) + (sink == 0 ? "" : ""))
