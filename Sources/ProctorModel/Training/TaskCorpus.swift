import Foundation

/// The seeded generator of Proctor's training corpus: small tasks in one fixed prompt format with
/// JSON answers. Ten tasks: extract fields, classify a ticket, list items, convert units, fill a
/// tool call (and answer from its result, or answer without one), repair a cut JSON object, normalise a date, extract several people, answer a yes/no
/// question (is an item in the list?), add two quantities.
///
///     Task: extract
///     Input: Maria Lopez is 34 years old and lives in Lisbon.
///     JSON:
///     {"name": "Maria Lopez", "age": 34, "city": "Lisbon"}
public struct TaskCorpus {
    /// One generated example: a task, its input and the JSON answer.
    public struct Example: Sendable {
        /// The task name, one of `TaskCorpus.tasks`.
        public let task: String
        /// The text of the `Input:` line.
        public let input: String
        /// The expected answer: one line of JSON.
        public let answer: String
        /// After a tool call: the tool's result and the model's final answer
        /// (`Result: {…}`, `JSON:`, `{"answer": …}`), as a tool loop feeds the result back.
        public var followUp: String?
        /// An example with its task, input and one-line answer.
        public init(task: String, input: String, answer: String, followUp: String? = nil) {
            self.task = task
            self.input = input
            self.answer = answer
            self.followUp = followUp
        }
        /// The prompt the model sees (everything up to the answer line).
        public var prompt: String { "Task: \(task)\nInput: \(input)\nJSON:" }
        /// The example as corpus text: the prompt, a newline, the answer, then any follow-up.
        public var text: String { prompt + "\n" + answer + (followUp.map { "\n" + $0 } ?? "") }
    }

    var rng: ModelRandom
    /// Held-out examples use only the odd-position first and last names, in combinations and with
    /// numbers the training draw rarely repeats exactly (a different seed).
    let heldOut: Bool

    /// Makes a generator seeded with `seed`; `heldOut` limits names to the odd-position half, for a validation set.
    public init(seed: UInt64, heldOut: Bool = false) {
        rng = ModelRandom(seed: seed)
        self.heldOut = heldOut
    }

    static let first = ["Maria", "John", "Aisha", "Kenji", "Lena", "Omar", "Sofia", "Ivan", "Chloe", "Ravi", "Emma", "Lucas", "Nora",
                        "Diego", "Yuki", "Paul", "Sara", "Ali", "Mia", "Tom", "Zoe", "Hugo", "Ines", "Leo"]
    static let last = ["Lopez", "Smith", "Khan", "Tanaka", "Berg", "Haddad", "Rossi", "Petrov", "Martin", "Patel", "Novak", "Silva",
                       "Costa", "Weber", "Kim", "Moreau", "Olsen", "Garcia"]
    static let cities = ["Lisbon", "Paris", "Tokyo", "Berlin", "Cairo", "Lima", "Oslo", "Rome", "Madrid", "Seoul", "Dublin", "Vienna",
                         "Prague", "Athens", "Quito", "Delhi", "Austin", "Boston"]
    static let items = ["apples", "milk", "bread", "eggs", "rice", "tea", "soap", "pens", "paper", "cheese", "butter", "salt", "honey",
                        "coffee", "pasta", "beans", "oil", "flour"]
    static let labels: [(String, [String])] = [
        ("refund", ["I want my money back for order", "Please refund my purchase", "Refund the charge on my card for order"]),
        ("bug", ["The app crashes when I open order", "I get an error screen on order", "The page freezes when I pay for order"]),
        ("delivery", ["My package has not arrived for order", "Where is my parcel for order", "The courier never delivered order"]),
        ("account", ["I cannot log in to my account since order", "Please reset my password after order", "My profile was locked after order"]),
    ]
    /// Forecasts a weather tool's result may give.
    static let skies = ["sun", "rain", "snow", "clouds", "wind", "fog"]
    static let units: [(String, String, Int)] = [("km", "m", 1000), ("m", "cm", 100), ("kg", "g", 1000), ("l", "ml", 1000)]

    mutating func pick<T>(_ xs: [T]) -> T { xs[Int(rng.nextU32()) % xs.count] }

    mutating func name() -> (String, String) {
        let f = Self.first, l = Self.last
        if heldOut { return (f[(Int(rng.nextU32()) % (f.count / 2)) * 2 + 1], l[(Int(rng.nextU32()) % (l.count / 2)) * 2 + 1]) }
        return (pick(f), pick(l))
    }

    mutating func number(_ lo: Int, _ hi: Int) -> Int { lo + Int(rng.nextU32()) % (hi - lo + 1) }

    /// The tasks, in the order `next` draws them from.
    public static let tasks = ["extract", "classify", "list", "convert", "tool", "repair", "date", "people", "yesno", "sum"]

    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]

    /// Draws the next example; yes/no questions come three times as often as each other task.
    public mutating func next() -> Example {
        // yes/no (8) is drawn three times as often as the others: membership is the hardest task
        // for a model this size.
        let draw = number(0, 11)
        switch draw >= 10 ? 8 : draw {
        case 0:
            let (f, l) = name()
            let age = number(18, 89), city = pick(Self.cities)
            let forms = ["\(f) \(l) is \(age) years old and lives in \(city).", "\(f) \(l), aged \(age), lives in \(city).",
                         "Meet \(f) \(l) from \(city), who is \(age)."]
            let input = pick(forms)
            return Example(task: "extract", input: input, answer: "{\"name\": \"\(f) \(l)\", \"age\": \(age), \"city\": \"\(city)\"}")
        case 1:
            let (label, texts) = pick(Self.labels)
            return Example(task: "classify", input: "\(pick(texts)) \(number(1000, 9999)).", answer: "{\"label\": \"\(label)\"}")
        case 2:
            var chosen: [String] = []
            let n = number(2, 4)
            while chosen.count < n { let i = pick(Self.items); if !chosen.contains(i) { chosen.append(i) } }
            let list = chosen.dropLast().joined(separator: ", ") + " and " + chosen.last!
            return Example(task: "list", input: "Buy \(list).", answer: "{\"items\": [" + chosen.map { "\"\($0)\"" }.joined(separator: ", ") + "]}")
        case 3:
            let (from, to, factor) = pick(Self.units)
            let v = number(1, 99)
            return Example(task: "convert", input: "\(v) \(from) to \(to)", answer: "{\"value\": \(v * factor), \"unit\": \"\(to)\"}")
        case 5:
            // A record cut off mid-way; the answer closes what was cut (a string, the object) and
            // drops a dangling comma.
            let (f, l) = name()
            let age = number(18, 89), city = pick(Self.cities)
            let fields = ["\"name\": \"\(f) \(l)\"", "\"age\": \(age)", "\"city\": \"\(city)\""]
            switch number(0, 2) {
            case 0:
                let cut = number(1, city.count - 1)
                let part = String(city.prefix(cut))
                return Example(task: "repair", input: "{" + fields[0] + ", " + fields[1] + ", \"city\": \"" + part,
                               answer: "{" + fields[0] + ", " + fields[1] + ", \"city\": \"" + part + "\"}")
            case 1:
                return Example(task: "repair", input: "{" + fields[0] + ", " + fields[1] + ",", answer: "{" + fields[0] + ", " + fields[1] + "}")
            default:
                let full = "\(f) \(l)"
                let part = String(full.prefix(number(2, full.count - 1)))
                return Example(task: "repair", input: "{\"name\": \"" + part, answer: "{\"name\": \"" + part + "\"}")
            }
        case 6:
            let y = number(2000, 2030), m = number(1, 12), d = number(1, 28)
            let month = Self.months[m - 1]
            let forms = ["\(month) \(d), \(y)", "\(d) \(month) \(y)", String(format: "%d/%02d/%02d", y, m, d), "\(month.prefix(3)) \(d) \(y)"]
            return Example(task: "date", input: pick(forms), answer: String(format: "{\"date\": \"%04d-%02d-%02d\"}", y, m, d))
        case 7:
            var people: [String] = []
            let n = number(2, 3)
            while people.count < n { let (f, l) = name(); let p = "\(f) \(l)"; if !people.contains(p) { people.append(p) } }
            let city = pick(Self.cities)
            let input = n == 2 ? pick(["\(people[0]) met \(people[1]) in \(city).", "\(people[0]) and \(people[1]) work in \(city)."])
                               : "\(people[0]), \(people[1]) and \(people[2]) moved to \(city)."
            return Example(task: "people", input: input, answer: "{\"people\": [" + people.map { "\"\($0)\"" }.joined(separator: ", ") + "]}")
        case 8:
            // A yes/no question about the input: is an item in the basket?
            var chosen: [String] = []
            let n = number(2, 4)
            while chosen.count < n { let i = pick(Self.items); if !chosen.contains(i) { chosen.append(i) } }
            let yes = number(0, 1) == 1
            var asked = pick(chosen)
            if !yes { while chosen.contains(asked) { asked = pick(Self.items) } }
            return Example(task: "yesno", input: "The basket has \(chosen.joined(separator: ", ")). Is there \(asked)?",
                           answer: "{\"answer\": \(yes)}")
        case 9:
            let a = number(1, 9), b = number(1, 9), item = pick(Self.items)
            let forms = ["I had \(a) \(item) and bought \(b) more.", "\(a) \(item) plus \(b) \(item).", "Add \(a) \(item) to \(b) \(item)."]
            return Example(task: "sum", input: pick(forms), answer: "{\"total\": \(a + b)}")
        default:
            // When to call the tool and when to answer: a weather question calls get_weather, and
            // the tool's result, fed back, becomes the answer; anything else is answered at once.
            if number(0, 2) == 0 {
                let (f, _) = name()
                return number(0, 1) == 0
                    ? Example(task: "tool", input: pick(["Say hello to \(f).", "Greet \(f), please."]), answer: "{\"answer\": \"Hello, \(f)!\"}")
                    : Example(task: "tool", input: pick(["Thank you, \(f) here.", "Thanks a lot, from \(f)."]), answer: "{\"answer\": \"You are welcome, \(f).\"}")
            }
            let city = pick(Self.cities), days = number(1, 14)
            let forms = ["What is the weather in \(city) for \(days) days?", "Forecast for \(city), next \(days) days.",
                         "Will it rain in \(city) in the next \(days) days?"]
            let input = pick(forms)
            let sky = pick(Self.skies), temp = number(-9, 35)
            return Example(task: "tool", input: input,
                           answer: "{\"name\": \"get_weather\", \"arguments\": {\"location\": \"\(city)\", \"days\": \(days)}}",
                           followUp: "Result: {\"location\": \"\(city)\", \"forecast\": \"\(sky)\", \"tempC\": \(temp)}\nJSON:\n"
                                     + "{\"answer\": \"\(city): \(sky), \(temp) C\"}")
        }
    }

    /// `count` examples as corpus text: examples separated by a blank line.
    /// `model corpus`: `n` training examples to DIR/train.txt and a fiftieth (at least 100) held-out
    /// ones to DIR/heldout.txt, seeded; returns the held-out count.
    public static func write(to dir: String, seed: UInt64, examples n: Int) throws -> Int {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var train = TaskCorpus(seed: seed)
        var held = TaskCorpus(seed: seed &+ 1_000_003, heldOut: true)
        let heldCount = max(100, n / 50)
        try train.text(count: n).write(toFile: dir + "/train.txt", atomically: true, encoding: .utf8)
        try held.text(count: heldCount).write(toFile: dir + "/heldout.txt", atomically: true, encoding: .utf8)
        return heldCount
    }

    /// The next `count` examples as corpus text: separated by blank lines, with a final newline.
    public mutating func text(count: Int) -> String {
        (0..<count).map { _ in next().text }.joined(separator: "\n\n") + "\n"
    }

    /// Splits corpus text back into examples.
    public static func examples(in text: String) -> [Example] {
        text.components(separatedBy: "\n\n").compactMap { block in
            let lines = block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard lines.count >= 4, lines[0].hasPrefix("Task: "), lines[1].hasPrefix("Input: "), lines[2] == "JSON:" else { return nil }
            return Example(task: String(lines[0].dropFirst(6)), input: String(lines[1].dropFirst(7)), answer: lines[3],
                           followUp: lines.count > 4 ? lines[4...].joined(separator: "\n") : nil)
        }
    }
}
