/// Picks the highest-scoring indices, best first, ties broken by lower index.
public enum TopN {
    public static func select(_ scores: [Float], count n: Int, excluding: Set<Int> = []) -> [Int] {
        var heap: [(Float, Int)] = []  // a small sorted buffer is fine for the n used here
        heap.reserveCapacity(n + 1)
        for (i, s) in scores.enumerated() where !excluding.contains(i) && !s.isNaN {
            if heap.count == n, let last = heap.last, !(s > last.0) { continue }
            var pos = heap.count
            while pos > 0 && (heap[pos - 1].0 < s) { pos -= 1 }
            heap.insert((s, i), at: pos)
            if heap.count > n { heap.removeLast() }
        }
        return heap.map { $0.1 }
    }
}
