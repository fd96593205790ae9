"""The Chinese-English lexicon as data: Chinese words -> the English words composer.ask's parsers know."""

from __future__ import annotations

# Instrument names -> names in composer.core.instruments. Where General MIDI has no such instrument the
# nearest program stands in: 二胡 (erhu, bowed) a violin, 琵琶 (pipa, a plucked lute) the shamisen, 扬琴
# (a hammered dulcimer) the dulcimer, 唢呐 (suona, a double reed) the shanai, 箫 (end-blown bamboo flute)
# the shakuhachi, 笙 (a free-reed mouth organ) the reed organ, 马头琴 (bowed, low) a cello.
INSTRUMENTS: dict[str, str] = {
    # keyboards and tuned percussion
    "钢琴": "piano", "三角钢琴": "grand piano", "大钢琴": "grand piano", "电钢琴": "electric piano",
    "电钢": "electric piano", "罗兹": "rhodes", "羽管键琴": "harpsichord", "大键琴": "harpsichord",
    "古钢琴": "harpsichord", "钢片琴": "celesta", "钟琴": "glockenspiel", "八音盒": "music box",
    "音乐盒": "music box", "颤音琴": "vibraphone", "马林巴": "marimba", "马林巴琴": "marimba", "木琴": "xylophone",
    "管钟": "tubular bells", "钟声": "bells", "风琴": "organ", "管风琴": "church organ", "教堂管风琴": "church organ",
    "哈蒙德风琴": "hammond organ", "电风琴": "rock organ", "手风琴": "accordion", "口琴": "harmonica",
    "班多钮手风琴": "bandoneon",
    # guitars and basses
    "吉他": "guitar", "木吉他": "acoustic guitar", "民谣吉他": "acoustic guitar", "原声吉他": "acoustic guitar",
    "古典吉他": "classical guitar", "尼龙吉他": "nylon guitar", "电吉他": "electric guitar",
    "爵士吉他": "jazz guitar", "失真吉他": "distorted guitar", "过载吉他": "overdriven guitar",
    "贝斯": "bass", "贝司": "bass", "电贝斯": "electric bass", "电贝司": "electric bass",
    "低音吉他": "electric bass", "低音提琴": "upright bass", "倍大提琴": "upright bass",
    "无品贝斯": "fretless bass", "合成贝斯": "synth bass", "合成器贝斯": "synth bass",
    # strings
    "小提琴": "violin", "中提琴": "viola", "大提琴": "cello", "竖琴": "harp", "弦乐": "strings",
    "弦乐队": "string orchestra", "弦乐团": "string orchestra", "弦乐合奏": "string ensemble",
    "弦乐四重奏": "string quartet", "拨弦": "pizzicato strings", "震音弦乐": "tremolo strings",
    "合成弦乐": "synth strings",
    # winds and brass
    "长笛": "flute", "笛子": "flute", "竹笛": "flute", "短笛": "piccolo", "竖笛": "recorder", "排箫": "pan flute",
    "陶笛": "ocarina", "哨笛": "tin whistle", "口哨": "whistle", "单簧管": "clarinet", "黑管": "clarinet",
    "双簧管": "oboe", "英国管": "english horn", "大管": "bassoon", "巴松": "bassoon", "巴松管": "bassoon",
    "萨克斯": "saxophone", "萨克斯风": "saxophone", "萨克斯管": "saxophone", "中音萨克斯": "alto sax",
    "次中音萨克斯": "tenor sax", "高音萨克斯": "soprano sax", "上低音萨克斯": "baritone sax",
    "小号": "trumpet", "弱音小号": "muted trumpet", "长号": "trombone", "圆号": "french horn",
    "法国号": "french horn", "大号": "tuba", "铜管": "brass", "铜管乐": "brass", "铜管乐队": "brass",
    "木管": "woodwinds", "木管乐": "woodwinds", "风笛": "bagpipes",
    # voices, ensembles, synths
    "合唱": "choir", "合唱团": "choir", "唱诗班": "choir", "混声合唱": "mixed choir", "四部合唱": "four part choir",
    "人声": "voice", "管弦乐队": "orchestra", "管弦乐团": "orchestra", "交响乐团": "orchestra",
    "摇滚乐队": "rock band", "爵士三重奏": "jazz trio", "合成器": "synth lead", "合成主音": "synth lead",
    "合成器主音": "synth lead", "合成铺底": "synth pad", "合成器铺底": "synth pad", "合成垫音": "synth pad",
    "铺底": "pad", "垫音": "pad", "合成铜管": "synth brass", "芯片音乐": "chiptune", "芯片音": "chiptune",
    "8位": "8-bit", "8比特": "8-bit", "八位": "8-bit",
    # drums and percussion
    "鼓": "drums", "架子鼓": "drum kit", "爵士鼓": "drum kit", "鼓组": "drum kit", "打击乐": "percussion",
    "鼓点": "drums", "定音鼓": "timpani", "太鼓": "taiko", "钢鼓": "steel drums",
    # Chinese and other instruments (nearest GM program, see above)
    "二胡": "violin", "古筝": "koto", "筝": "koto", "琵琶": "shamisen", "扬琴": "dulcimer", "唢呐": "shanai",
    "箫": "shakuhachi", "洞箫": "shakuhachi", "笙": "reed organ", "马头琴": "cello", "尺八": "shakuhachi",
    "三味线": "shamisen", "西塔琴": "sitar", "班卓琴": "banjo", "卡林巴": "kalimba", "拇指琴": "kalimba",
}
# Words that rule out the instrument right after them: 不要鼓 "no drums".
NEGATIONS: tuple[str, ...] = ("不要", "没有", "不用", "不需要", "不加", "不含", "去掉", "别用", "除去", "无")
# Counts just before an instrument: 两把小提琴 "two violins".
COUNTS: dict[str, str] = {"两": "two", "二": "two", "三": "three", "四": "four"}
CLASSIFIERS = "把支个位台架名"

# Mood, scene, genre, form, tempo and dynamics words -> English words of composer.ask.mood's AFFECT and
# SCENE_BANDS, drum_words' and style_words' tables, and text.py's tempo, meter and dynamics words. An empty
# value marks a word read as nothing: its characters are taken so that a shorter word inside it is not
# misread (鼓励 "encourage" holds 鼓 "drum"; 电子游戏 "video game" holds 电子 "electronic").
WORDS: dict[str, str] = {
    # read as nothing
    "电子游戏": "", "游戏": "", "关卡": "", "背景音乐": "", "配乐": "", "主题曲": "", "音乐": "", "乐曲": "",
    "曲子": "", "无聊": "", "无人": "empty", "鼓励": "hopeful", "鼓舞": "hopeful", "鼓舞人心": "hopeful",
    "最终": "", "城市": "", "街头": "", "独奏": "", "二重奏": "", "三重奏": "", "四重奏": "",
    # sad and low
    "悲伤": "sad", "伤心": "sad", "难过": "sad", "哀伤": "sorrow", "悲哀": "sorrow", "悲痛": "grief",
    "悲痛欲绝": "grief", "绝望": "grief", "心碎": "grief", "忧伤": "melancholy", "忧郁": "melancholy",
    "惆怅": "melancholy", "伤感": "melancholy", "离别": "melancholy", "告别": "melancholy", "送别": "melancholy",
    "思念": "nostalgic", "怀念": "nostalgic", "怀旧": "nostalgic", "回忆": "nostalgic", "追忆": "nostalgic",
    "孤独": "lonely", "寂寞": "lonely", "孤单": "lonely", "凄凉": "lonely", "哀悼": "mourning", "悼念": "mourning",
    "挽歌": "lament", "哀歌": "lament", "葬礼": "funeral", "哀乐": "funeral", "墓地": "graveside",
    "坟墓": "graveside", "墓前": "graveside", "空虚": "empty", "荒凉": "empty", "废墟": "empty", "废弃": "empty",
    "空荡": "empty", "寒冷": "cold", "冰冷": "cold", "冰雪": "winter", "冬天": "winter", "冬日": "winter",
    "冬季": "winter", "大雪": "winter", "下雪": "winter", "雪地": "winter", "雪夜": "winter night",
    "雨": "rain", "下雨": "rain", "雨天": "rainy", "雨夜": "rainy night", "细雨": "rain", "阴雨": "rainy",
    "夜晚": "night", "夜里": "night", "夜间": "night", "深夜": "night", "午夜": "night", "夜色": "night",
    "夜曲": "night", "夜": "night", "秋天": "nostalgic", "黄昏": "nostalgic", "傍晚": "nostalgic",
    "夕阳": "warm nostalgic",
    # calm and gentle
    "平静": "calm", "安静": "calm", "冷静": "calm", "宁静": "serene", "安宁": "peaceful", "和平": "peaceful",
    "祥和": "peaceful", "平和": "peaceful", "静谧": "tranquil", "恬静": "tranquil", "柔和": "gentle",
    "轻柔": "gentle", "微风": "gentle", "优雅": "gentle", "温柔": "tender", "舒缓": "relaxing",
    "放松": "relaxing", "轻松": "relaxing", "悠闲": "relaxing", "慵懒": "relaxing", "惬意": "relaxing",
    "治愈": "relaxing", "温暖": "warm", "温馨": "cozy", "舒适": "cozy", "梦幻": "dreamy", "梦境": "dreamy",
    "梦": "dreamy", "朦胧": "dreamy", "童话": "dreamy", "空灵": "ambient", "氛围": "ambient",
    "冥想": "meditation", "禅": "meditation", "新世纪": "new age", "摇篮曲": "lullaby", "催眠曲": "lullaby",
    "入睡": "sleepy", "睡眠": "sleepy", "睡觉": "sleepy", "困倦": "sleepy", "沉思": "reflective",
    "思考": "reflective", "深沉": "reflective", "内省": "reflective", "浪漫": "romantic", "爱情": "love",
    "恋爱": "love", "甜蜜": "love", "情歌": "love song", "希望": "hopeful", "春天": "hopeful",
    "回家": "home", "家乡": "home", "故乡": "home nostalgic", "归来": "returning",
    "回到": "returning", "返回": "returning", "凯旋": "triumphant", "周日": "sunday", "午后": "afternoon",
    "下午": "afternoon", "叙事曲": "ballad", "抒情": "ballad", "抒情曲": "ballad",
    # places and times
    "森林": "forest", "树林": "forest", "丛林": "forest", "林间": "forest", "草原": "meadow", "草地": "meadow",
    "花园": "meadow", "田园": "pastoral", "乡间": "pastoral", "乡村": "pastoral", "农场": "pastoral",
    "村庄": "pastoral", "牧场": "pastoral", "清晨": "dawn", "早晨": "dawn", "黎明": "dawn", "拂晓": "dawn",
    "日出": "sunrise", "阳光": "sunny", "阳光明媚": "sunny", "晴朗": "sunny", "晴天": "sunny", "夏天": "summer",
    "夏日": "summer", "盛夏": "summer", "海边": "ocean", "海滩": "ocean", "沙滩": "ocean", "大海": "ocean",
    "海洋": "ocean", "海浪": "ocean", "水下": "underwater", "海底": "underwater", "深海": "underwater",
    "太空": "space", "宇宙": "space vast", "星空": "space", "外太空": "space", "科幻": "sci-fi",
    "外星": "sci-fi", "浩瀚": "vast", "辽阔": "vast", "广阔": "vast", "无尽": "vast", "空旷": "vast",
    "酒馆": "tavern", "小酒馆": "tavern", "旅店": "tavern", "客栈": "tavern", "中世纪": "medieval",
    "城堡": "medieval", "骑士": "heroic medieval", "吟游诗人": "minstrels", "集市": "fair", "市集": "fair",
    "庙会": "festive fair", "游乐园": "playful fair", "马戏团": "playful fair", "教堂": "church",
    "地下城": "dungeon", "地牢": "dungeon", "洞穴": "dungeon dark", "山洞": "dungeon dark", "鬼屋": "haunted",
    # happy and lively
    "快乐": "happy", "开心": "happy", "高兴": "happy", "幸福": "happy", "愉快": "cheerful", "欢快": "cheerful",
    "欢乐": "joyful", "喜悦": "joyful", "喜庆": "festive", "轻快": "lively upbeat", "活泼": "lively playful",
    "俏皮": "playful", "调皮": "playful", "可爱": "playful", "有趣": "playful", "玩耍": "playful",
    "嬉戏": "playful", "明亮": "bright", "灿烂": "bright", "闪闪发光": "bright", "热闹": "lively festive",
    "刺激": "lively", "动感": "upbeat", "欢庆": "celebration", "庆祝": "celebration", "庆典": "celebration",
    "节日": "festive", "过节": "festive", "新年": "festive celebration", "春节": "festive celebration",
    "过年": "festive celebration", "派对": "party", "聚会": "party", "宴会": "festive", "舞会": "dance",
    "跳舞": "dancing", "舞蹈": "dance", "舞曲": "dance", "婚礼": "wedding", "胜利": "victory",
    "获胜": "victory", "凯歌": "triumphant", "英雄": "heroic", "英勇": "heroic", "激昂": "heroic",
    "慷慨激昂": "heroic", "热血": "heroic epic", "雄伟": "majestic", "壮丽": "majestic", "宏伟": "majestic",
    "壮观": "majestic", "庄严": "majestic", "宫廷": "majestic", "史诗": "epic", "史诗般": "epic",
    "磅礴": "epic majestic", "气势磅礴": "epic majestic", "冒险": "adventure", "探险": "adventure",
    "旅程": "adventure", "号角": "fanfare", "军乐": "military", "军队": "army", "军团": "army",
    # tense and dark
    "黑暗": "dark", "阴暗": "dark", "昏暗": "dark", "阴郁": "dark", "深渊": "dark", "邪恶": "sinister",
    "不祥": "ominous", "压抑": "ominous", "末日": "ominous", "神秘": "mysterious", "谜团": "mystery",
    "侦探": "mystery", "悬疑": "suspense", "潜行": "suspense lurking", "潜伏": "lurking", "脚步声": "lurking",
    "诡异": "creepy", "阴森": "creepy", "毛骨悚然": "creepy", "恐怖": "horror", "惊悚": "horror",
    "可怕": "scary", "吓人": "scary", "闹鬼": "haunted", "幽灵": "haunted", "鬼魂": "haunted",
    "紧张": "tense", "焦虑": "tense", "危险": "danger", "危机": "danger", "敌人": "danger", "火海": "danger",
    "大火": "danger", "灾难": "danger", "爆发": "urgent", "紧迫": "urgent", "急促": "urgent", "激烈": "urgent",
    "愤怒": "angry", "生气": "angry", "狂暴": "angry frantic", "疯狂": "frantic", "慌乱": "frantic",
    "惊慌": "frantic", "逃跑": "escape", "逃离": "escape", "逃亡": "escape", "逃脱": "escape",
    "追逐": "chase", "追赶": "chase", "追击": "chase", "赛车": "racing", "竞速": "racing", "飙车": "racing",
    "战斗": "battle", "战场": "battle", "激战": "battle", "决战": "epic battle", "对决": "battle",
    "厮杀": "battle", "战争": "war", "打斗": "fight", "格斗": "fight", "打架": "fight", "boss战": "boss battle",
    "首领战": "boss battle", "首领": "boss", "魔王": "boss dark", "风暴": "storm", "暴风雨": "storm",
    "雷雨": "storm", "雷暴": "storm", "崩塌": "collapsing", "倒塌": "collapsing", "动作": "action",
    "军事": "military",
    # genres and forms
    "爵士": "jazz", "爵士乐": "jazz", "摇滚": "rock", "摇滚乐": "rock", "金属": "metal", "重金属": "metal",
    "朋克": "punk", "流行": "pop", "流行乐": "pop", "放克": "funk", "迪斯科": "disco", "电子": "electronic",
    "电子乐": "electronic", "电音": "edm", "浩室": "house", "科技舞曲": "techno", "嘻哈": "hip hop",
    "说唱": "hip hop", "雷鬼": "reggae", "拉丁": "latin", "桑巴": "samba", "波萨诺瓦": "bossa nova",
    "布鲁斯": "blues", "蓝调": "blues", "摇摆乐": "swing", "民谣": "folk", "民歌": "folk", "乡村音乐": "country",
    "蓝草": "bluegrass", "凯尔特": "celtic", "爱尔兰": "irish", "苏格兰": "scottish", "水手歌": "shanty",
    "古典": "orchestral", "交响": "symphonic", "交响乐": "symphonic", "管弦": "orchestral",
    "电影配乐": "film score", "预告片": "trailer", "电影感": "cinematic", "巴洛克": "baroque", "赋格": "fugue",
    "圣咏": "chorale", "赞美诗": "hymn", "圣歌": "hymn", "颂歌": "hymn", "低保真": "lo-fi", "合成器浪潮": "synthwave",
    "复古游戏": "retro game", "像素": "8-bit", "华尔兹": "waltz", "圆舞曲": "waltz", "小步舞曲": "minuet",
    "玛祖卡": "mazurka", "波兰舞曲": "polonaise", "萨拉班德": "sarabande", "吉格": "jig", "吉格舞": "jig",
    "塔兰泰拉": "tarantella", "船歌": "barcarolle", "西西里舞曲": "siciliana", "进行曲": "march",
    "波尔卡": "polka", "探戈": "tango", "里尔舞": "reel", "号笛舞": "hornpipe", "加沃特": "gavotte",
    "军乐进行曲": "military march",
    # meters as said in Chinese: the denominator first (四三拍 is 3/4), or the numerator first
    "四四拍": "4/4", "四三拍": "3/4", "三四拍": "3/4", "四二拍": "2/4", "二四拍": "2/4", "二二拍": "2/2",
    "八六拍": "6/8", "六八拍": "6/8", "八三拍": "3/8", "三八拍": "3/8", "八九拍": "9/8", "九八拍": "9/8",
    "八十二拍": "12/8", "十二八拍": "12/8", "四五拍": "5/4", "五四拍": "5/4", "四六拍": "6/4", "六四拍": "6/4",
    "三拍子": "3/4", "二拍子": "2/4", "两拍子": "2/4", "四拍子": "4/4", "六拍子": "6/8",
    # tempo words (Chinese tempo terms -> the Italian ones they translate)
    "广板": "largo", "慢板": "adagio", "柔板": "adagio", "行板": "andante", "小行板": "andantino",
    "中板": "moderato", "中速": "moderato", "小快板": "allegretto", "快板": "allegro", "急板": "presto",
    "最急板": "prestissimo", "很慢": "largo", "缓慢": "adagio", "慢速": "adagio", "快速": "allegro",
    "很快": "vivace", "非常快": "presto", "极快": "prestissimo", "稍快": "allegretto",
    # dynamics
    "很轻": "very soft", "轻声": "quiet", "轻轻": "soft", "柔弱": "soft", "响亮": "loud", "大声": "loud",
    "有力": "strong", "强劲": "powerful", "震撼": "powerful", "雷鸣": "thunderous", "弱奏": "soft",
    "强奏": "forte", "极强": "fortissimo", "极弱": "pianissimo",
}
