"""A script written the way DAXA's documentation teaches (DAXA v0.3.5 tutorials and case
studies): set up missions, look at them, filter them every way, download and save.

It runs unchanged with daxa and with DAXA itself.
Usage: ``python daxa_style_script.py SAMPLE_DIR`` where SAMPLE_DIR holds DAXA's case-study
samples ``sn1a_samp.csv`` and ``efeds_xray_cluster_candidates.csv``.
"""

import os
import sys
from datetime import datetime, timedelta
from warnings import warn

import numpy as np
import pandas as pd
from astropy.coordinates import SkyCoord
from astropy.units import Quantity, hourangle

from daxa.exceptions import NoObsAfterFilterError
from daxa.mission import (
    ASCA,
    MISS_INDEX,
    Chandra,
    INTEGRALPointed,
    NuSTARPointed,
    ROSATAllSky,
    ROSATPointed,
    Suzaku,
    Swift,
    XMMPointed,
    XRISMPointed,
    eRASS1DE,
    eROSITACalPV,
)
from daxa.mission.tools import multi_mission_filter_on_positions

samp_dir = sys.argv[1]

# --- the missions tutorial -------------------------------------------------------------------
print(MISS_INDEX)
xm = XMMPointed()
ch = Chandra()
ea = eRASS1DE()
ecpv = eROSITACalPV()
nu = NuSTARPointed()
xr = XRISMPointed()
sw = Swift()
ra = ROSATAllSky()
rp = ROSATPointed()
su = Suzaku()
asca = ASCA()
inte = INTEGRALPointed()

print(xm.name)
print(xm.pretty_name, "\n")
print(ea.name)
print(ea.pretty_name)
print(rp.all_mission_instruments)
print(ch.all_mission_instruments)
print(rp.chosen_instruments)
print(ch.chosen_instruments)
ch.chosen_instruments = ["ACIS-I", "ACIS-S"]
print(ch.chosen_instruments)
print(xm.id_regex)
print(rp.id_regex)
print(xm.pretty_name, "-", xm.fov, "\n")
print(rp.pretty_name, "-", rp.fov, "\n")
print(sw.pretty_name, "-", sw.fov, "\n")
print(ch.pretty_name, "-", ch.fov)
print(ch.coord_frame)
print(asca.coord_frame)
print(rp.preprocessed_energy_bands)

for mission in [xm, ch, ea, ecpv, nu, xr, sw, ra, rp, su, asca, inte]:
    print(mission.pretty_name, len(mission.all_obs_info), len(mission))
    print(mission.all_obs_info.head())

demo_filt_arr = np.full(len(xm.all_obs_info), True)
demo_filt_arr[0] = False
xm.filter_array = demo_filt_arr
print(xm.filter_array)
print("XMM after the manual filter array:", len(xm))
xm.reset_filter()
xm.show_allowed_target_types()

# --- observations of a cluster sample (eFEDS) ------------------------------------------------
samp = pd.read_csv(os.path.join(samp_dir, "efeds_xray_cluster_candidates.csv"))
coords = SkyCoord(samp["RA"].values, samp["DEC"].values, unit="deg")
er = eROSITACalPV()
er_assoc = er.filter_on_positions(coords, return_pos_obs_info=True)
er_assoc["name"] = samp.loc[er_assoc["pos_ind"].values.astype(int), "ID"].values
print(er.filtered_obs_info)
print(er_assoc)
print("eFEDS clusters with CalPV data:", len(er_assoc))
print("CalPV observations of eFEDS clusters:", len(er))
print("CalPV fields:", sorted(set(er.filtered_obs_info["Field_Name"])))
for cls in [XMMPointed, Chandra]:
    mission = cls()
    try:
        assoc = mission.filter_on_positions(coords, return_pos_obs_info=True)
        assoc["name"] = samp.loc[assoc["pos_ind"].values.astype(int), "ID"].values
        print(mission.pretty_name, "clusters with data:", len(assoc))
    except NoObsAfterFilterError as err:
        warn(err.message, stacklevel=2)

# --- observations of supernovae after discovery ------------------------------------------------
sne = pd.read_csv(os.path.join(samp_dir, "sn1a_samp.csv"))
pos = SkyCoord(sne["ra"].values, sne["declination"].values, unit="deg")
start_times = np.array(
    [
        datetime.strptime(dd, "%Y-%m-%d %H:%M:%S.%f") - timedelta(days=30)
        for dd in sne["discoverydate"].values
    ]
)
end_times = np.array(
    [
        datetime.strptime(dd, "%Y-%m-%d %H:%M:%S.%f") + timedelta(days=30)
        for dd in sne["discoverydate"].values
    ]
)
sw_sne = Swift()
try:
    sw_assoc = sw_sne.filter_on_positions_at_time(
        pos, start_times, end_times, return_obs_info=True, over_run=True
    )
    sw_assoc["sn_name"] = sne.loc[sw_assoc["pos_ind"].values.astype(int), "name"].values
    print(sw_assoc)
    print("Swift supernovae observed within 30 days:", len(sw_assoc))
except NoObsAfterFilterError as err:
    warn(err.message, stacklevel=2)
    print("Swift supernovae observed within 30 days:", 0)

# --- a contiguous patch of sky (XXL-North corners, as in DAXA's case study) ----------------------
ll = SkyCoord("2h36m0s", -8.0, unit=(hourangle, "deg"))
ur = SkyCoord("2h00m0s", -2.0, unit=(hourangle, "deg"))
for mission in [XMMPointed(), Chandra()]:
    try:
        mission.filter_on_rect_region(ll, ur)
        print(mission.pretty_name, "observations in the patch:", len(mission))
    except NoObsAfterFilterError as err:
        warn(err.message, stacklevel=2)
        print(mission.pretty_name, "observations in the patch:", 0)

# --- all observations of an object ----------------------------------------------------------
position = SkyCoord(202.47, 47.2, unit="deg")
found = multi_mission_filter_on_positions(
    position, missions=["xmm_pointed", "chandra", "asca", "suzaku", "rosat_pointed", "swift"]
)
print("missions with data on M51:", [m.name for m in found])
for cls in [XMMPointed, Chandra, Swift]:
    mission = cls()
    try:
        mission.filter_on_name("M87", search_distance=Quantity(30, "deg"))
        print(mission.pretty_name, "observations near M87:", len(mission))
    except NoObsAfterFilterError as err:
        warn(err.message, stacklevel=2)

# --- time, target type, ObsIDs --------------------------------------------------------------
sw_time = Swift()
sw_time.filter_on_time(datetime(2010, 1, 1), datetime(2012, 1, 1), over_run=False)
print("Swift observations wholly in 2010-2011:", len(sw_time))
ch_agn = Chandra()
ch_agn.filter_on_target_type(["AGN", "GCL"])
print("Chandra AGN and cluster observations:", len(ch_agn))
print(ch_agn.filtering_operations)
ch_agn.info()

# --- download, products, save, restore, delete ----------------------------------------------
rp_dl = ROSATPointed()
obs_id = rp_dl.filtered_obs_ids[0]
rp_dl.filter_on_obs_ids(obs_id)
rp_dl.download(num_cores=1)
print("downloaded:", rp_dl.download_completed, rp_dl.downloaded_type)
print("event list:", rp_dl.get_evt_list_path(obs_id))
band = rp_dl.preprocessed_energy_bands[rp_dl.filtered_obs_info["instrument"].iloc[0]][0]
print("image:", rp_dl.get_image_path(obs_id, band[0], band[1]))
rp_dl.save("demo_save/", "demo_rosat_save.json")
reinstated = ROSATPointed(save_file_path="demo_save/demo_rosat_save.json")
print("reinstated:", list(reinstated.filtered_obs_info["ObsID"]))
rp_dl.delete_raw_data(force_del=True)
print("after deletion:", rp_dl.download_completed)
