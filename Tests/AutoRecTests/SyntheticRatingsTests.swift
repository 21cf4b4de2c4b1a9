import XCTest
@testable import AutoRec

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
}
