package handlers

// Code written from the word tables that were Go code before the words
// moved to the translation files: every form then accepted, and what it
// meant. TestMovedWordsStillMeanTheSame reads it.

var movedWords = map[string][][2]string{
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
