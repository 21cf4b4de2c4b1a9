import XCTest
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels

/// The benchmark data generator: n lines must mean n ratings, so that timings per rating compare.
final class SyntheticRatingsTests: XCTestCase {
    func testWritesExactlyTheAskedNumberOfDistinctRatings() throws {
        // A third of the grid, with popular items saturated: many draws repeat a pair.
        let text = try SyntheticRatings.tsv(ratings: 20_000, users: 300, items: 200, seed: 7)
        let ratings = try RatingFileReader.parse(text: text, file: "synthetic.tsv")
        XCTAssertEqual(ratings.count, 20_000)
        XCTAssertEqual(ratings.userItemMatrix().nonZeros, 20_000, "every (user, item) pair once")
        XCTAssertEqual(Set(ratings.values).isSubset(of: [1, 2, 3, 4, 5]), true)
        XCTAssertGreaterThan(Set(ratings.values).count, 3, "ratings spread over the scale")
    }

    func testSameSeedSameFileAndOtherSeedOtherFile() throws {
        let a = try SyntheticRatings.tsv(ratings: 5_000, users: 200, items: 100, seed: 3)
        XCTAssertEqual(a, try SyntheticRatings.tsv(ratings: 5_000, users: 200, items: 100, seed: 3))
        XCTAssertNotEqual(a, try SyntheticRatings.tsv(ratings: 5_000, users: 200, items: 100, seed: 4))
    }

    func testRefusesMoreRatingsThanHalfTheGrid() {
        XCTAssertThrowsError(try SyntheticRatings.tsv(ratings: 5_001, users: 100, items: 100, seed: 1)) { error in
            XCTAssertTrue("\(error)".contains("5001 ratings do not fit 100 users x 100 items"), "\(error)")
        }
    }

    /// With a taste, users pick items they like: still exactly n distinct pairs, the same file for a
    /// seed, and the ratings of the chosen items run higher than under popularity alone.
    func testTasteDrivenChoiceKeepsTheCountAndPicksLikedItems() throws {
        let plain = try RatingFileReader.parse(text: try SyntheticRatings.tsv(ratings: 20_000, users: 300, items: 400, seed: 5), file: "a.tsv")
        let text = try SyntheticRatings.tsv(ratings: 20_000, users: 300, items: 400, taste: 1.5, seed: 5)
        XCTAssertEqual(text, try SyntheticRatings.tsv(ratings: 20_000, users: 300, items: 400, taste: 1.5, seed: 5))
        let tasted = try RatingFileReader.parse(text: text, file: "b.tsv")
        XCTAssertEqual(tasted.count, 20_000)
        XCTAssertEqual(tasted.userItemMatrix().nonZeros, 20_000, "every (user, item) pair once")
        func liked(_ r: Ratings) -> Double { Double(r.values.filter { $0 >= 4 }.count) / Double(r.count) }
        XCTAssertGreaterThan(liked(tasted), liked(plain) + 0.1, "chosen by taste, rated higher: \(liked(tasted)) vs \(liked(plain))")
    }
}
