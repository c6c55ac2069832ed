package capture

import (
	"math"

	"accountbot/crm"
)

// A shared location carries coordinates, not a town. To put the clients
// of that town first without asking a geocoding service (the bot calls no
// outside service but the configured ones), the bot knows where the larger
// towns of its first users' country are and takes the nearest within
// cityRadiusKm.

// cityRadiusKm is how far from a town's centre a place still counts as
// that town.
const cityRadiusKm = 25

type place struct {
	name     string
	lat, lon float64
}

var towns = []place{
	{"Sofia", 42.6977, 23.3219}, {"Plovdiv", 42.1354, 24.7453}, {"Varna", 43.2141, 27.9147},
	{"Burgas", 42.5048, 27.4626}, {"Ruse", 43.8356, 25.9657}, {"Stara Zagora", 42.4258, 25.6345},
	{"Pleven", 43.4170, 24.6067}, {"Sliven", 42.6858, 26.3292}, {"Dobrich", 43.5726, 27.8273},
	{"Shumen", 43.2712, 26.9361}, {"Pernik", 42.6052, 23.0378}, {"Haskovo", 41.9344, 25.5554},
	{"Yambol", 42.4842, 26.5035}, {"Pazardzhik", 42.1928, 24.3336}, {"Blagoevgrad", 42.0209, 23.0943},
	{"Veliko Tarnovo", 43.0757, 25.6172}, {"Vratsa", 43.2102, 23.5529}, {"Gabrovo", 42.8742, 25.3187},
	{"Vidin", 43.9962, 22.8679}, {"Montana", 43.4125, 23.2250}, {"Kardzhali", 41.6338, 25.3777},
	{"Kyustendil", 42.2839, 22.6911}, {"Lovech", 43.1370, 24.7142}, {"Silistra", 44.1171, 27.2606},
	{"Targovishte", 43.2512, 26.5722}, {"Razgrad", 43.5333, 26.5167}, {"Smolyan", 41.5774, 24.7011},
	{"Asenovgrad", 42.0167, 24.8667}, {"Kazanlak", 42.6194, 25.3930}, {"Dimitrovgrad", 42.0500, 25.6000},
	{"Bucharest", 44.4268, 26.1025}, {"Thessaloniki", 40.6401, 22.9444}, {"Skopje", 41.9981, 21.4254},
	{"Belgrade", 44.7866, 20.4489}, {"Istanbul", 41.0082, 28.9784}, {"Athens", 37.9838, 23.7275},
}

// nearestCity names the town a place is in, or "" when none is near.
func nearestCity(lat, lon float64) string {
	best, bestKm := "", math.Inf(1)
	for _, t := range towns {
		if d := distanceKm(lat, lon, t.lat, t.lon); d < bestKm {
			best, bestKm = t.name, d
		}
	}
	if bestKm > cityRadiusKm {
		return ""
	}
	return best
}

// distanceKm is the great-circle distance between two places.
func distanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	const earthKm = 6371
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthKm * math.Asin(math.Sqrt(a))
}

// sameCity compares a client's city with a town's name in either script
// ("София" and "Sofia").
func sameCity(clientCity, town string) bool {
	a, b := crm.NormalizeName(clientCity), crm.NormalizeName(town)
	return a != "" && a == b
}
