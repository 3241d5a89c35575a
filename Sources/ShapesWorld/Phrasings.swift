// Question phrasings. Every question kind has several templates, split into a "train" set and
// a held-out set that never reaches the training data (the unseen-phrasings evaluation split).
// The brief and detailed description prompts are the ones LLaVA lists (arXiv 2304.08485,
// Tables 8 and 9 of the appendix); four of the detailed ones are held out.
//
// Slots: {ref} a definite description ("the small triangle"), {things} a plural noun
// ("red objects"), {obj} / {a_obj} a colour-shape name without / with article, {a} / {b}
// two definite descriptions, {rel} a relation ("to the left of"), {which} "largest" /
// "smallest", {cmp} "larger" / "smaller", {xs} / {ys} plural nouns, {color} a colour.

/// Which templates a generator draws from.
public enum PhrasingSet: String, Codable, Sendable {
    case train
    case heldOut = "held_out"
}

/// One family of question templates.
public enum TemplateKey: String, CaseIterable, Codable, Sendable {
    case colour, shape, count, position, existence
    case closest, relation, extremeColor, countBySize, mostCommonColor, mostCommonShape, moreThan, countRelative, countNotColor
    case detail
}

/// The question templates of ShapesWorld.
public enum Phrasings {
    /// The templates of one family in one set (never empty).
    public static func templates(_ key: TemplateKey, _ set: PhrasingSet) -> [String] {
        let t = table[key]!
        return set == .train ? t.train : t.heldOut
    }

    /// LLaVA's stage-1 "describe briefly" instructions (arXiv 2304.08485, Table 8).
    public static let briefPrompts = [
        "Describe the image concisely.",
        "Provide a brief description of the given image.",
        "Offer a succinct explanation of the picture presented.",
        "Summarize the visual content of the image.",
        "Give a short and clear explanation of the subsequent image.",
        "Share a concise interpretation of the image provided.",
        "Present a compact description of the photo's key features.",
        "Relay a brief, clear account of the picture shown.",
        "Render a clear and concise summary of the photo.",
        "Write a terse but informative summary of the picture.",
        "Create a compact narrative representing the image presented.",
    ]

    static let table: [TemplateKey: (train: [String], heldOut: [String])] = [
        .colour: ([
            "What color is {ref}?",
            "What is the color of {ref}?",
            "Can you tell me the color of {ref}?",
            "Which color does {ref} have?",
        ], [
            "What colour would you say {ref} is?",
            "Name the colour of {ref}.",
        ]),
        .shape: ([
            "What shape is {ref}?",
            "What kind of shape is {ref}?",
            "Which shape is {ref}?",
        ], [
            "Identify the shape of {ref}.",
            "What geometric figure is {ref}?",
        ]),
        .count: ([
            "How many {things} are there?",
            "How many {things} are in the image?",
            "Count the {things} in the picture.",
            "What is the number of {things}?",
        ], [
            "How many {things} can you spot?",
            "Tell me how many {things} appear here.",
        ]),
        .position: ([
            "Where is {ref}?",
            "Where is {ref} located?",
            "In which part of the image is {ref}?",
            "What is the position of {ref}?",
        ], [
            "Whereabouts in the picture can {ref} be found?",
            "Point out the location of {ref}.",
        ]),
        .existence: ([
            "Is there {a_obj}?",
            "Is there {a_obj} in the image?",
            "Can you see {a_obj}?",
            "Does the image contain {a_obj}?",
        ], [
            "Would I find {a_obj} somewhere in this picture?",
            "Is any {obj} visible?",
        ]),
        .closest: ([
            "Which object is closest to {ref}?",
            "What is the nearest object to {ref}?",
        ], [
            "Among the other shapes, which one sits nearest to {ref}?",
        ]),
        .relation: ([
            "Is {a} {rel} {b}?",
            "Would you say that {a} is {rel} {b}?",
        ], [
            "Looking at the picture, is it true that {a} lies {rel} {b}?",
        ]),
        .extremeColor: ([
            "What color is the {which} object?",
            "What is the color of the {which} shape?",
        ], [
            "Tell me the colour of the {which} item in the picture.",
        ]),
        .countBySize: ([
            "How many objects are {cmp} than {ref}?",
            "How many shapes are {cmp} than {ref}?",
        ], [
            "What number of items in the picture are {cmp} than {ref}?",
        ]),
        .mostCommonColor: ([
            "Which color appears most often?",
            "What is the most common color among the objects?",
        ], [
            "Which colour is used for the greatest number of shapes?",
        ]),
        .mostCommonShape: ([
            "Which shape appears most often?",
            "What is the most common shape in the image?",
        ], [
            "Which kind of shape occurs the most times here?",
        ]),
        .moreThan: ([
            "Are there more {xs} than {ys}?",
            "Does the image have more {xs} than {ys}?",
        ], [
            "Do {xs} outnumber {ys} in this picture?",
        ]),
        .countRelative: ([
            "How many objects are {rel} {ref}?",
            "How many shapes lie {rel} {ref}?",
        ], [
            "What number of items can be found {rel} {ref}?",
        ]),
        .countNotColor: ([
            "How many objects are not {color}?",
            "How many shapes are not {color}?",
        ], [
            "Apart from the {color} ones, how many objects are there?",
        ]),
        .detail: ([
            "Describe the following image in detail.",
            "Provide a detailed description of the given image.",
            "Give an elaborate explanation of the image you see.",
            "Share a comprehensive rundown of the presented image.",
            "Offer a thorough analysis of the image.",
            "Explain the various aspects of the image before you.",
            "Clarify the contents of the displayed image with great detail.",
            "Characterize the image using a well-detailed description.",
            "Break down the elements of the image in a detailed manner.",
            "Analyze the image in a comprehensive and detailed manner.",
            "Illustrate the image through a descriptive explanation.",
            "Examine the image closely and share its details.",
        ], [
            "Walk through the important details of the image.",
            "Portray the image with a rich, descriptive narrative.",
            "Narrate the contents of the image with precision.",
            "Write an exhaustive depiction of the given image.",
        ]),
    ]
}
