//! The words and places of the demo data: cities with their hubs and weights, industries, names,
//! account managers, and the season's curve.

/// A city orders leave from and go to.
#[derive(Debug, PartialEq, Eq)]
pub struct Region {
    /// GB/T 2260 code of the district.
    pub code: &'static str,
    /// City name.
    pub city: &'static str,
    /// The hub scanning its shipments.
    pub hub: &'static str,
    /// Relative share of the traffic.
    pub(super) weight: u32,
}

/// The cities, busier on the east and south coasts, as Chinese freight is.
pub const REGIONS: [Region; 10] = [
    Region {
        code: "310115",
        city: "Shanghai",
        hub: "SHA-HUB-01",
        weight: 20,
    },
    Region {
        code: "440106",
        city: "Guangzhou",
        hub: "CAN-HUB-01",
        weight: 15,
    },
    Region {
        code: "440305",
        city: "Shenzhen",
        hub: "SZX-HUB-01",
        weight: 14,
    },
    Region {
        code: "110105",
        city: "Beijing",
        hub: "PEK-HUB-01",
        weight: 13,
    },
    Region {
        code: "330106",
        city: "Hangzhou",
        hub: "HGH-HUB-01",
        weight: 10,
    },
    Region {
        code: "420106",
        city: "Wuhan",
        hub: "WUH-HUB-01",
        weight: 8,
    },
    Region {
        code: "510107",
        city: "Chengdu",
        hub: "CTU-HUB-01",
        weight: 8,
    },
    Region {
        code: "210102",
        city: "Shenyang",
        hub: "SHE-HUB-01",
        weight: 5,
    },
    Region {
        code: "610113",
        city: "Xi'an",
        hub: "XIY-HUB-01",
        weight: 4,
    },
    Region {
        code: "650102",
        city: "Urumqi",
        hub: "URC-HUB-01",
        weight: 3,
    },
];

/// Industries of the enterprises.
pub const INDUSTRIES: [&str; 8] = [
    "electronics retail",
    "apparel",
    "food and beverage",
    "auto parts",
    "pharmaceuticals",
    "furniture",
    "e-commerce",
    "machinery",
];
/// Sectors of the government customers.
pub const PUBLIC_SECTORS: [&str; 3] = ["public administration", "education", "healthcare"];
/// Trade names of the enterprises.
pub const COMPANY_NAMES: [&str; 10] = [
    "Huaxin",
    "Jinhai",
    "Ruifeng",
    "Dongsheng",
    "Hengtai",
    "Yuanda",
    "Xinghe",
    "Baocheng",
    "Tianrui",
    "Minghua",
];
/// Surnames of the individuals.
pub const SURNAMES: [&str; 10] = [
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu",
];
/// Given names of the individuals.
pub const GIVEN_NAMES: [&str; 8] = ["Wei", "Fang", "Min", "Jing", "Lei", "Yan", "Jun", "Xiu"];
/// Account managers: each customer has one.
pub const ACCOUNT_MANAGERS: [&str; 4] = ["am.li", "am.zhou", "am.chen", "am.huang"];

/// Relative order volume of each calendar month (1-12), in percent: a rush before the Chinese New
/// Year in January, its holiday in February, a summer dip, and the November shopping festival.
pub const SEASON: [u32; 12] = [130, 70, 100, 100, 100, 90, 75, 75, 100, 105, 150, 120];
