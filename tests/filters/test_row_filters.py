"""ObsIDs, target types, CalPV fields, instruments, usable and public."""

from __future__ import annotations

import io

import polars as pl
import pytest

from daxa.errors import InputError, InstrumentError, ObsIDError
from daxa.filters import (
    Fields,
    Instruments,
    ObsIDs,
    Public,
    TargetTypes,
    Usable,
    show_target_types,
    target_types_table,
)
from daxa.filters._examples import observation_table
from daxa.missions import TARGET_TYPES


def kept(table, flt, mission, **kw):
    return table.filter(flt.mask(table, mission=mission, **kw))["obs_id"].to_list()


# ObsIDs --------------------------------------------------------------------------------------


def test_obs_ids_keep_and_invert(calpv):
    assert kept(calpv, ObsIDs(["300008", "300010"]), "erosita_calpv") == ["300008", "300010"]
    assert (
        calpv.filter(ObsIDs("300008", invert=True).mask(calpv, mission="erosita_calpv")).height
        == 169
    )


def test_misprinted_calpv_obs_id_is_remapped_with_a_warning(calpv):
    """The EDR pages print Puppis A as 700195; the list holds 700199 and 700200 (as DAXA)."""
    from daxa.filters import FilterWarning

    with pytest.warns(FilterWarning, match="700195 is misprinted.*700199, 700200"):
        assert kept(calpv, ObsIDs(["700195"]), "erosita_calpv") == ["700199", "700200"]
    with pytest.warns(FilterWarning):
        dropped = ObsIDs("700195", invert=True).mask(calpv, mission="erosita_calpv")
    assert calpv.filter(dropped).height == calpv.height - 2


def test_bad_obs_id_format_names_it():
    table = observation_table("xmm_pointed", [1.0], [1.0], obs_id=["0201903501"])
    assert kept(table, ObsIDs(["0201903501"]), "xmm_pointed") == ["0201903501"]
    with pytest.raises(ObsIDError, match="'201903501' is not a valid XMM-Newton Pointed ObsID"):
        ObsIDs([201903501]).mask(table, mission="xmm_pointed")  # an int loses the leading zero
    with pytest.raises(InputError, match="no ObsIDs"):
        ObsIDs([])


def test_rosat_obs_ids_are_case_insensitive():
    table = observation_table(
        "rosat_pointed", [1.0, 2.0], [1.0, 2.0], obs_id=["RP123456N00", "RH654321"]
    )
    assert kept(table, ObsIDs(["rp123456n00"]), "rosat_pointed") == ["RP123456N00"]


# target types ---------------------------------------------------------------------------------


def test_target_types_mask_and_errors():
    table = observation_table(
        "chandra",
        [1.0, 2.0, 3.0],
        [0.0] * 3,
        target_category=["AGN", "GCL", None],
        instrument=["ACIS"] * 3,
    )
    assert kept(table, TargetTypes(["agn", "MISC"]), "chandra") == ["1"]
    with pytest.raises(InputError, match="unknown target type\\(s\\) 'QUASAR'"):
        TargetTypes("quasar")
    xmm = observation_table("xmm_pointed", [1.0], [1.0])
    with pytest.raises(
        InputError, match="XMM-Newton Pointed .* has no target type information.*AGN"
    ):
        TargetTypes("AGN").mask(xmm, mission="xmm_pointed")


def test_taxonomy_is_printed_as_a_table():
    out = io.StringIO()
    show_target_types(out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["code", "description"]
    assert len(lines) == 2 + len(TARGET_TYPES)
    assert lines[2].split(maxsplit=1) == ["AGN", "Active galaxies and quasars"]
    assert target_types_table().height == len(TARGET_TYPES) == 21


# fields ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "count"),
    [
        ("EFEDS", 4),
        ("efeds", 4),
        ("Crab", 108),  # all four Crab fields: 26 + 30 + 30 + 22
        ("Crab II", 30),
        ("CRAB_2", 30),
        ("47 Tuc", 8),
        ("NGC 104", 8),
        ("A3395", 4),
        ("HR 3165", 1),
        ("IGR J13020-6359", 1),
        ("TGUH2213P1", 1),
        ("SURVEY", 5),
        ("magellanic clouds", 20),
        (["GALACTIC_FIELDS", "EFEDS"], 121 + 4),
    ],
)
def test_calpv_fields_by_name_alias_and_type(calpv, fields, count):
    got = calpv.filter(Fields(fields).mask(calpv, mission="erosita_calpv"))
    assert got.height == count


def test_unknown_field_and_other_missions(calpv):
    with pytest.raises(InputError, match="unknown eROSITA CalPV field\\(s\\) 'Andromeda'.*EFEDS"):
        Fields("Andromeda").mask(calpv, mission="erosita_calpv")
    xmm = observation_table("xmm_pointed", [1.0], [1.0])
    with pytest.raises(InputError, match="has no fields"):
        Fields("EFEDS").mask(xmm, mission="xmm_pointed")


# instruments, usable, public --------------------------------------------------------------------


def test_instruments_filter_rows_only_on_one_instrument_missions():
    chandra = observation_table("chandra", [1.0, 2.0], [1.0, 2.0], instrument=["ACIS", "HRC"])
    assert kept(chandra, Instruments("HRC-I"), "chandra") == ["2"]
    swift = observation_table("swift", [1.0, 2.0], [1.0, 2.0])
    assert kept(swift, Instruments("XRT"), "swift") == ["00000000000", "00000000001"]
    with pytest.raises(InstrumentError, match="'EPIC'"):
        Instruments("EPIC").mask(chandra, mission="chandra")


def test_usable_and_public():
    table = observation_table(
        "xrism_pointed",
        [1.0, 2.0, 3.0],
        [0.0] * 3,
        science_usable=[True, False, True],
        public=[False, True, True],
    )
    assert kept(table, Usable(), "xrism_pointed") == ["000000000", "000000002"]
    assert kept(table, Public(), "xrism_pointed") == ["000000001", "000000002"]


def test_masks_are_boolean_and_full_length(calpv):
    for flt in (ObsIDs("300007"), Fields("SURVEY"), Usable(), Public(), Instruments("TM1")):
        mask = flt.mask(calpv, mission="erosita_calpv")
        assert mask.dtype == pl.Boolean and mask.len() == calpv.height and mask.null_count() == 0
