package handlers

// Code written from the word tables that were Go code before the words
// moved to the translation files: every form then accepted, and what it
// meant. TestMovedWordsStillMeanTheSame reads it.

var movedWords = map[string][][2]string{
	"aspect": {
		{"price", "price"}, {"prices", "price"}, {"pricing", "price"}, {"цена", "price"},
		{"цени", "price"}, {"discount", "discount"}, {"discounts", "discount"}, {"rebate", "discount"},
		{"отстъпка", "discount"}, {"отстъпки", "discount"}, {"terms", "terms"}, {"payment", "terms"},
		{"conditions", "terms"}, {"условия", "terms"}, {"срокове", "terms"}, {"плащане", "terms"},
		{"service", "service"}, {"support", "service"}, {"обслужване", "service"}, {"сервиз", "service"},
		{"поддръжка", "service"}, {"product", "product"}, {"products", "product"}, {"range", "product"},
		{"продукт", "product"}, {"продукти", "product"}, {"асортимент", "product"}, {"general", "general"},
		{"other", "general"}, {"общо", "general"}, {"друго", "general"},
	},
	"campaignKind": {
		{"email", "email"}, {"mail", "email"}, {"newsletter", "email"}, {"имейл", "email"},
		{"бюлетин", "email"}, {"писмо", "email"}, {"fair", "fair"}, {"trade-fair", "fair"},
		{"панаир", "fair"}, {"exhibition", "exhibition"}, {"expo", "exhibition"}, {"show", "exhibition"},
		{"изложба", "exhibition"}, {"изложение", "exhibition"}, {"presentation", "presentation"},
		{"demo", "presentation"}, {"webinar", "presentation"}, {"презентация", "presentation"},
		{"уебинар", "presentation"}, {"демонстрация", "presentation"}, {"other", "other"},
		{"друго", "other"}, {"друга", "other"},
	},
	"planNoteKind": {
		{"goal", "goal"}, {"goals", "goal"}, {"objective", "goal"}, {"цел", "goal"}, {"цели", "goal"},
		{"risk", "risk"}, {"risks", "risk"}, {"риск", "risk"}, {"рискове", "risk"}, {"person", "person"},
		{"people", "person"}, {"key", "person"}, {"contact", "person"}, {"лице", "person"},
		{"човек", "person"}, {"хора", "person"}, {"ключов", "person"}, {"ключово", "person"},
	},
	"field": {
		{"сегмент", "segment"}, {"отрасъл", "industry"}, {"индустрия", "industry"}, {"размер", "size"},
		{"град", "city"}, {"нужда", "need"}, {"нужди", "need"}, {"ниво", "level"}, {"фокус", "focus"},
		{"статус", "status"}, {"език", "lang"}, {"източник", "source"}, {"контакт", "contact"},
		{"телефон", "phone"}, {"имейл", "email"}, {"рейтинг", "rating"}, {"собственик", "owner"},
		{"language", "lang"}, {"mail", "email"}, {"tel", "phone"}, {"докладва", "reports"},
		{"шеф", "reports"},
	},
	"channel": {
		{"call", "call"}, {"phone", "call"}, {"обаждане", "call"}, {"разговор", "call"},
		{"телефон", "call"}, {"meeting", "meeting"}, {"среща", "meeting"}, {"email", "email"},
		{"mail", "email"}, {"имейл", "email"}, {"писмо", "email"}, {"visit", "visit"},
		{"посещение", "visit"}, {"fair", "fair"}, {"exhibition", "fair"}, {"изложение", "fair"},
		{"панаир", "fair"}, {"presentation", "presentation"}, {"презентация", "presentation"},
		{"chat", "chat"}, {"чат", "chat"},
	},
	"weekday": {
		{"mon", "mon"}, {"monday", "mon"}, {"пн", "mon"}, {"пон", "mon"}, {"понеделник", "mon"},
		{"tue", "tue"}, {"tuesday", "tue"}, {"вт", "tue"}, {"вто", "tue"}, {"вторник", "tue"},
		{"wed", "wed"}, {"wednesday", "wed"}, {"ср", "wed"}, {"сря", "wed"}, {"сряда", "wed"},
		{"thu", "thu"}, {"thursday", "thu"}, {"чт", "thu"}, {"чет", "thu"}, {"четвъртък", "thu"},
		{"fri", "fri"}, {"friday", "fri"}, {"пт", "fri"}, {"пет", "fri"}, {"петък", "fri"}, {"sat", "sat"},
		{"saturday", "sat"}, {"сб", "sat"}, {"съб", "sat"}, {"събота", "sat"}, {"sun", "sun"},
		{"sunday", "sun"}, {"нд", "sun"}, {"нед", "sun"}, {"неделя", "sun"},
	},
	"segmentBy": {
		{"segment", "segment"}, {"сегмент", "segment"}, {"industry", "industry"}, {"отрасъл", "industry"},
		{"индустрия", "industry"}, {"need", "need"}, {"needs", "need"}, {"нужда", "need"},
		{"нужди", "need"}, {"level", "level"}, {"ниво", "level"}, {"city", "city"}, {"град", "city"},
		{"size", "size"}, {"размер", "size"}, {"focus", "focus"}, {"фокус", "focus"}, {"source", "source"},
		{"източник", "source"},
	},
	"factor": {
		{"payment", "payment"}, {"payments", "payment"}, {"плащания", "payment"}, {"плащане", "payment"},
		{"claims", "claims"}, {"claim", "claims"}, {"рекламации", "claims"}, {"рекламация", "claims"},
		{"promises", "promises"}, {"promise", "promises"}, {"обещания", "promises"},
		{"ангажименти", "promises"}, {"deals", "deals"}, {"deal", "deals"}, {"сделки", "deals"},
		{"tenure", "tenure"}, {"length", "tenure"}, {"relationship", "tenure"}, {"стаж", "tenure"},
		{"продължителност", "tenure"}, {"давност", "tenure"}, {"record", "record"}, {"data", "record"},
		{"досие", "record"}, {"запис", "record"}, {"данни", "record"}, {"rating", "rating"},
		{"рейтинг", "rating"},
	},
	"followup": {
		{"shorter", "shorter"}, {"short", "shorter"}, {"по-кратко", "shorter"}, {"кратко", "shorter"},
		{"formal", "formal"}, {"официално", "formal"}, {"по-официално", "formal"}, {"again", "again"},
		{"regenerate", "again"}, {"отново", "again"}, {"пак", "again"}, {"sent", "sent"},
		{"изпратено", "sent"}, {"изпратих", "sent"}, {"email", "email"}, {"e-mail", "email"},
		{"mail", "email"}, {"имейл", "email"}, {"прати", "email"}, {"изпрати", "email"},
	},
	"note": {
		{"ok", "ok"}, {"confirm", "ok"}, {"yes", "ok"}, {"да", "ok"}, {"потвърди", "ok"}, {"edit", "edit"},
		{"промени", "edit"}, {"редактирай", "edit"}, {"cancel", "cancel"}, {"no", "cancel"},
		{"не", "cancel"}, {"откажи", "cancel"}, {"отказ", "cancel"}, {"pick", "pick"}, {"избери", "pick"},
	},
	"renewalKey": {
		{"amount", "amount"}, {"value", "amount"}, {"сума", "amount"}, {"стойност", "amount"},
		{"contract", "contract"}, {"ref", "contract"}, {"договор", "contract"}, {"контракт", "contract"},
		{"currency", "currency"}, {"валута", "currency"}, {"date", "date"}, {"дата", "date"},
	},
	"promiseKey": {
		{"contract", "contract"}, {"ref", "contract"}, {"договор", "contract"}, {"контракт", "contract"},
		{"from", "from"}, {"от", "from"}, {"страна", "from"},
	},
	"competitorKey": {
		{"aspect", "aspect"}, {"about", "aspect"}, {"type", "aspect"}, {"аспект", "aspect"},
		{"относно", "aspect"}, {"тема", "aspect"}, {"вид", "aspect"}, {"client", "client"},
		{"source", "client"}, {"from", "client"}, {"клиент", "client"}, {"източник", "client"},
		{"от", "client"},
	},
	"campaignKey": {
		{"kind", "kind"}, {"type", "kind"}, {"вид", "kind"}, {"тип", "kind"}, {"date", "date"},
		{"on", "date"}, {"дата", "date"}, {"на", "date"}, {"city", "city"}, {"budget", "budget"},
		{"cost", "budget"}, {"бюджет", "budget"}, {"цена", "budget"}, {"разход", "budget"},
		{"currency", "currency"}, {"валута", "currency"},
	},
	"healthKey": {
		{"contact", "contact"}, {"talks", "contact"}, {"recency", "contact"}, {"контакт", "contact"},
		{"разговори", "contact"}, {"claims", "claims"}, {"claim", "claims"}, {"рекламации", "claims"},
		{"satisfaction", "satisfaction"}, {"csat", "satisfaction"}, {"nps", "satisfaction"},
		{"удовлетвореност", "satisfaction"}, {"deals", "deals"}, {"deal", "deals"}, {"сделки", "deals"},
		{"payments", "payments"}, {"payment", "payments"}, {"плащания", "payments"},
		{"promises", "promises"}, {"promise", "promises"}, {"обещания", "promises"},
		{"at-risk", "at_risk"}, {"atrisk", "at_risk"}, {"at_risk", "at_risk"}, {"риск", "at_risk"},
		{"в-риск", "at_risk"}, {"critical", "critical"}, {"критичен", "critical"},
		{"критично", "critical"},
	},
	"onOff": {
		{"on", "on"}, {"yes", "on"}, {"вкл", "on"}, {"да", "on"}, {"включено", "on"}, {"off", "off"},
		{"no", "off"}, {"изкл", "off"}, {"не", "off"}, {"изключено", "off"},
	},
}
